//! Windows Security audit events under the field names of Sigma's
//! taxonomy, which rules are written in (Sysmon's names): a process
//! creation audited as 4688 names its image `NewProcessName` where a
//! `process_creation` rule asks for `Image`. The mapping follows Sigma's
//! Windows audit pipeline (pySigma's `windows_audit_pipeline`: 4688 as
//! `process_creation`, 4657 as the registry categories, `NewProcessName`
//! → `Image`, `ParentProcessName` → `ParentImage`, `NewValue` → `Details`,
//! `SubjectLogonId` → `LogonId`) and goes on where that pipeline stops:
//! object access (4656, 4663) by object type, and the filtering platform's
//! connections (5156) as `network_connection`.
//!
//! The names are added beside the event's own, never over a field the
//! event already has, so rules written for the audit names match as
//! before.

use serde_json::{Map, Value};

/// Security events that Sigma's taxonomy has a category for, by event id
/// and (for registry changes) operation.
pub fn categories(id: i64, event: &Value) -> Vec<&'static str> {
    match id {
        4688 => vec!["process_creation"],
        4657 => match event.get("OperationType").and_then(Value::as_str).map(str::trim) {
            // A value created is a value set, as Sysmon logs both (event
            // 13); pySigma's `registry_add` is Sigma's name for it too.
            Some("%%1904") => vec!["registry_set", "registry_add", "registry_event"],
            Some("%%1905") => vec!["registry_set", "registry_event"],
            Some("%%1906") => vec!["registry_delete", "registry_event"],
            _ => vec!["registry_event"],
        },
        5156 => vec!["network_connection"],
        _ => vec![],
    }
}

/// The text of a field, unless empty or `-` (the audit's "none").
fn text<'a>(out: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    out.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && *s != "-")
}

/// Sets `key` to `value` unless the event already has that field.
fn add(out: &mut Map<String, Value>, key: &str, value: Value) {
    out.entry(key).or_insert(value);
}

/// Copies the field `from` as `to`.
fn alias(out: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = out.get(from).filter(|v| !v.is_null()).cloned() {
        add(out, to, v);
    }
}

/// `DOMAIN\user` as Sysmon writes a process's user, from an audit event's
/// `{prefix}DomainName` and `{prefix}UserName`.
fn user(out: &Map<String, Value>, prefix: &str) -> Option<String> {
    let name = text(out, &format!("{prefix}UserName"))?;
    Some(match text(out, &format!("{prefix}DomainName")) {
        Some(domain) => format!("{domain}\\{name}"),
        None => name.to_owned(),
    })
}

/// A registry path as the kernel writes it (`\REGISTRY\MACHINE\…`) as
/// Sysmon writes it (`HKLM\…`).
pub fn registry_path(kernel: &str) -> String {
    const ROOTS: [(&str, &str); 2] = [("\\REGISTRY\\MACHINE", "HKLM"), ("\\REGISTRY\\USER", "HKU")];
    for (prefix, hive) in ROOTS {
        if let Some(head) = kernel.get(..prefix.len())
            && head.eq_ignore_ascii_case(prefix)
        {
            let rest = &kernel[prefix.len()..];
            if rest.is_empty() || rest.starts_with('\\') {
                return format!("{hive}{rest}");
            }
        }
    }
    kernel.to_owned()
}

/// Sysmon's integrity level for a mandatory label's SID.
fn integrity_level(sid: &str) -> Option<&'static str> {
    Some(match sid.trim() {
        "S-1-16-0" => "Untrusted",
        "S-1-16-4096" => "Low",
        "S-1-16-8192" => "Medium",
        "S-1-16-8448" => "MediumPlus",
        "S-1-16-12288" => "High",
        "S-1-16-16384" => "System",
        "S-1-16-20480" => "Protected",
        _ => return None,
    })
}

/// A port or number as Sysmon writes it: a number.
fn numeric(v: &Value) -> Value {
    match v.as_str().and_then(|s| s.trim().parse::<u64>().ok()) {
        Some(n) => Value::from(n),
        None => v.clone(),
    }
}

/// Adds Sigma's names to a flattened Security event (see the module).
/// Events of other channels are left as they are.
pub fn map(out: &mut Map<String, Value>) {
    if out.get("Channel").and_then(Value::as_str) != Some("Security") {
        return;
    }
    let id = out.get("EventID").and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()));
    let Some(id) = id else { return };
    match id {
        4688 => process_creation(out),
        4657 => registry_value(out),
        4656 | 4663 => object_access(out),
        5156 => connection(out),
        _ => {}
    }
}

/// 4688, a process created.
fn process_creation(out: &mut Map<String, Value>) {
    alias(out, "NewProcessName", "Image");
    alias(out, "ParentProcessName", "ParentImage");
    // Since Windows 10 the event can name the new process's own account
    // (`Target…`, `-` when it runs as its creator); before, only the
    // creator's (`Subject…`).
    let target = text(out, "TargetUserName").is_some();
    let (user, logon) =
        if target { (user(out, "Target"), "TargetLogonId") } else { (user(out, "Subject"), "SubjectLogonId") };
    if let Some(u) = user {
        add(out, "User", Value::String(u));
    }
    alias(out, logon, "LogonId");
    if let Some(level) = text(out, "MandatoryLabel").and_then(integrity_level) {
        add(out, "IntegrityLevel", Value::String(level.into()));
    }
}

/// 4657, a registry value changed.
fn registry_value(out: &mut Map<String, Value>) {
    if let Some(key) = text(out, "ObjectName").map(registry_path) {
        let path = match text(out, "ObjectValueName") {
            Some(value) => format!("{key}\\{value}"),
            None => key,
        };
        add(out, "TargetObject", Value::String(path));
    }
    alias(out, "NewValue", "Details");
    alias(out, "ProcessName", "Image");
    alias(out, "SubjectLogonId", "LogonId");
    if let Some(user) = user(out, "Subject") {
        add(out, "User", Value::String(user));
    }
    let event_type = match text(out, "OperationType") {
        Some("%%1904" | "%%1905") => "SetValue",
        Some("%%1906") => "DeleteValue",
        _ => return,
    };
    add(out, "EventType", Value::String(event_type.into()));
}

/// 4656 (a handle asked for) and 4663 (an object accessed), by the kind of
/// object: a file's path as `TargetFilename`, a registry key's as
/// `TargetObject`, a process's image as `TargetImage` (the accessing one
/// then being `SourceImage`, with the access mask as `GrantedAccess`).
fn object_access(out: &mut Map<String, Value>) {
    let Some(name) = text(out, "ObjectName").map(str::to_owned) else { return };
    match text(out, "ObjectType") {
        Some("File") => {
            add(out, "TargetFilename", Value::String(name));
            alias(out, "ProcessName", "Image");
        }
        Some("Key") => {
            add(out, "TargetObject", Value::String(registry_path(&name)));
            alias(out, "ProcessName", "Image");
        }
        Some("Process") => {
            add(out, "TargetImage", Value::String(name));
            alias(out, "ProcessName", "SourceImage");
            alias(out, "AccessMask", "GrantedAccess");
        }
        _ => alias(out, "ProcessName", "Image"),
    }
    if let Some(user) = user(out, "Subject") {
        add(out, "User", Value::String(user));
    }
}

/// 5156, a connection the filtering platform allowed. `SourcePort` and
/// `Protocol` (a number where Sysmon writes `tcp`) keep the audit's own
/// values.
fn connection(out: &mut Map<String, Value>) {
    alias(out, "Application", "Image");
    alias(out, "ProcessID", "ProcessId");
    alias(out, "SourceAddress", "SourceIp");
    alias(out, "DestAddress", "DestinationIp");
    if let Some(port) = out.get("DestPort").map(numeric) {
        add(out, "DestinationPort", port);
    }
    let initiated = match text(out, "Direction") {
        Some("%%14593") => "true",
        Some("%%14592") => "false",
        _ => return,
    };
    add(out, "Initiated", Value::String(initiated.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_registry_paths_read_as_sysmon_writes_them() {
        assert_eq!(registry_path("\\REGISTRY\\MACHINE\\SOFTWARE\\Run"), "HKLM\\SOFTWARE\\Run");
        assert_eq!(registry_path("\\Registry\\User\\S-1-5-21-1\\Software"), "HKU\\S-1-5-21-1\\Software");
        assert_eq!(registry_path("\\REGISTRY\\MACHINEX\\a"), "\\REGISTRY\\MACHINEX\\a");
        assert_eq!(registry_path("C:\\a.txt"), "C:\\a.txt");
    }
}
