"""The packaged default scoring model (`default.yaml`)."""
