//! The fields every service of `kyozo detect --json` carries (PRODUCT.md section 3), shared by the
//! detection tests that check the contract.

pub const SERVICE_KEYS: [&str; 16] = [
    "name",
    "path",
    "type",
    "confidence",
    "indicators",
    "technologies",
    "port",
    "ports",
    "start_command",
    "env",
    "health_check",
    "resource_limits",
    "depends_on",
    "deployable",
    "members",
    "stack",
];
