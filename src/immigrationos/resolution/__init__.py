"""Entity resolution: every record resolved to a person, with the evidence for every link."""
