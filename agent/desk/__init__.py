"""The editorial desk: a durable job queue, workers, the HTTP API and the editors' pages."""
