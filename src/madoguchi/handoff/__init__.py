"""Hand-off of decided and accepted cases to the business systems that record them
(標準準拠システム: 住民記録, 児童手当, 国保 …): a registry of targets per city and procedure, a
file export and an HTTP API target, delivered once each with retries (docs/casework.md)."""
