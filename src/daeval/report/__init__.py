"""Reports: documents assembled from disclosure-controlled figures only."""
