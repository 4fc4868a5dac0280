"""Multi-source verification (一数一源) and duplicate collection detection (G3, G4)."""
