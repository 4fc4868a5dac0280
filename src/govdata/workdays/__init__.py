"""Working days on the Chinese statutory calendar (法定节假日与调休), for deadlines (C6)."""
