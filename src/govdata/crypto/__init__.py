"""National cryptography (SM2, SM3, SM4) and envelope encryption at rest.

Import from the modules, which keeps ``import govdata.crypto`` cheap:

- :mod:`~govdata.crypto.primitives`: ``sm3``, ``hmac_sm3``, ``Sm4Gcm``.
- :mod:`~govdata.crypto.sm2`: ``Sm2PrivateKey`` / ``Sm2PublicKey`` (OpenSSL 3).
- :mod:`~govdata.crypto.signing`: ``Signer`` / ``Verifier``, ``Signature``,
  ``generate_signer``, ``signer_from_pem``, ``verifier_from_pem`` for
  ``ed25519`` and ``sm2-sm3``.
- :mod:`~govdata.crypto.keystore`: the ``KeyStore`` protocol, ``LocalKeyStore``,
  ``MemoryKeyStore``.
- :mod:`~govdata.crypto.datakeys`: ``DataKeys`` (per-purpose data keys),
  ``rotate_master_key``, ``rewrap_data_keys``, ``key_status``.
- :mod:`~govdata.crypto.fields`: ``encrypt_column`` / ``decrypt_column`` and the
  table-level ``encrypt_columns`` / ``decrypt_columns``.
- :mod:`~govdata.crypto.errors`: the error codes.

See docs/crypto.md.
"""
