"""Node identity: this installation's place in the 1+32+N cascade and its keys."""
