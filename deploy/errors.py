class DeployError(RuntimeError):
    """A problem `up` cannot repair by itself; the message says what is wrong and what to do."""
