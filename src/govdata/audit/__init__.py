"""The audit (X6): a searchable trail of who did what, when, from where and why;
behaviour rules evaluated before data leaves; alerts reviewed by auditors."""
