"""pycharter-gui: a desktop pipeline designer and the ETL engine underneath it."""
