"""Privacy: minimising direct identifiers and controlling disclosure in every output."""
