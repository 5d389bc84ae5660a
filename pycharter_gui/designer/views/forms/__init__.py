"""Forms for extract.yaml, transform.yaml and load.yaml, bound to a PipelineDocument."""
