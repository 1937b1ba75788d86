//! Events as rules see them: a Windows event (as the `evtx` crate renders it
//! to JSON, or as SigmaHQ's regression samples store it) flattened to the
//! field names Sigma rules use, and the log source each event belongs to.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The log source of an event, each part `None` when unknown (a rule's part
/// then always fits). An event can belong to several categories: a Sysmon
/// registry event is both `registry_set` and `registry_event`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventSource {
    pub product: Option<&'static str>,
    pub service: Option<String>,
    pub categories: Vec<&'static str>,
}

/// Sigma's Windows service name for an event log channel.
fn service_of(channel: &str) -> Option<&'static str> {
    Some(match channel {
        "Security" => "security",
        "System" => "system",
        "Application" => "application",
        "Microsoft-Windows-Sysmon/Operational" => "sysmon",
        "Microsoft-Windows-PowerShell/Operational" | "PowerShellCore/Operational" => "powershell",
        "Windows PowerShell" => "powershell-classic",
        "Microsoft-Windows-TaskScheduler/Operational" => "taskscheduler",
        "Microsoft-Windows-Windows Defender/Operational" => "windefend",
        "Microsoft-Windows-WMI-Activity/Operational" => "wmi",
        "Microsoft-Windows-DNS-Client/Operational" => "dns-client",
        "DNS Server" => "dns-server",
        "Microsoft-Windows-Bits-Client/Operational" => "bits-client",
        "Microsoft-Windows-CodeIntegrity/Operational" => "codeintegrity-operational",
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational" => "terminalservices-localsessionmanager",
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall" => "firewall-as",
        "Microsoft-Windows-DriverFrameworks-UserMode/Operational" => "driver-framework",
        "Microsoft-Windows-NTLM/Operational" => "ntlm",
        "Microsoft-Windows-SMBClient/Security" => "smbclient-security",
        "Microsoft-Windows-SmbClient/Connectivity" => "smbclient-connectivity",
        "Microsoft-Windows-Shell-Core/Operational" => "shell-core",
        "OpenSSH/Operational" => "openssh",
        "Microsoft-Windows-AppXDeployment-Server/Operational" => "appxdeployment-server",
        "Microsoft-Windows-AppXPackaging/Operational" => "appxpackaging-om",
        "Microsoft-Windows-AppModel-Runtime/Admin" => "appmodel-runtime",
        "Microsoft-Windows-Kernel-ShimEngine/Operational" => "shim-engine",
        "Microsoft-Windows-CAPI2/Operational" => "capi2",
        "Microsoft-Windows-Crypto-DPAPI/Operational" => "dpapi",
        "Microsoft-Windows-Diagnosis-Scripted/Operational" => "diagnosis-scripted",
        "Microsoft-Windows-LSA/Operational" => "lsa-server",
        "Microsoft-Windows-PrintService/Admin" => "printservice-admin",
        "Microsoft-Windows-PrintService/Operational" => "printservice-operational",
        "Microsoft-Windows-Security-Mitigations/KernelMode" | "Microsoft-Windows-Security-Mitigations/UserMode" => {
            "security-mitigations"
        }
        "Microsoft-Windows-Kernel-EventTracing/Admin" => "kernel-event-tracing",
        "Microsoft-Windows-Hyper-V-Worker-Admin" => "hyper-v-worker",
        "Microsoft-Windows-Sysmon/Debug" => "sysmon",
        "Microsoft-Windows-AppLocker/EXE and DLL" => "applocker",
        "Microsoft-Windows-AppLocker/MSI and Script" => "applocker",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment" => "applocker",
        "Microsoft-Windows-AppLocker/Packaged app-Execution" => "applocker",
        "Microsoft-Windows-Ldap-Client/Debug" => "ldap",
        "Microsoft-Windows-VHDMP/Operational" => "vhdmp",
        "Microsoft-Windows-WinRM/Operational" => "winrm",
        "Microsoft-Windows-Microsoft-ServiceBus-Client" => "microsoft-servicebus-client",
        "Microsoft-Windows-BitLocker/BitLocker Management" => "bitlocker",
        _ => return None,
    })
}

/// The categories of a Sysmon event id.
fn sysmon_categories(id: i64, event_type: Option<&str>) -> Vec<&'static str> {
    match id {
        1 => vec!["process_creation"],
        2 => vec!["file_change"],
        3 => vec!["network_connection"],
        4 => vec!["sysmon_status"],
        5 => vec!["process_termination"],
        6 => vec!["driver_load"],
        7 => vec!["image_load"],
        8 => vec!["create_remote_thread"],
        9 => vec!["raw_access_thread"],
        10 => vec!["process_access"],
        11 => vec!["file_event"],
        12 => match event_type {
            Some("DeleteKey") | Some("DeleteValue") => vec!["registry_delete", "registry_event"],
            _ => vec!["registry_add", "registry_event"],
        },
        13 => vec!["registry_set", "registry_event"],
        14 => vec!["registry_rename", "registry_event"],
        15 => vec!["create_stream_hash"],
        16 => vec!["sysmon_status"],
        17 | 18 => vec!["pipe_created"],
        19..=21 => vec!["wmi_event"],
        22 => vec!["dns_query"],
        23 | 26 => vec!["file_delete"],
        24 => vec!["clipboard_capture"],
        25 => vec!["process_tampering"],
        27 => vec!["file_block_executable"],
        28 => vec!["file_block_shredding"],
        29 => vec!["file_executable_detected"],
        255 => vec!["sysmon_error"],
        _ => vec![],
    }
}

/// The number in an EVTX value that may be `5` or `{"#text": 5, "#attributes": …}`.
fn number(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    let v = v.get("#text").unwrap_or(v);
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Moves the fields of a data section (`EventData`, `UserData`) into `out`:
/// named children as they are, `Data` lists of `{"#attributes":{"Name":…}}`
/// items by their names, and unnamed `Data` values as `Data`.
fn copy_data(section: Value, out: &mut Map<String, Value>) {
    let Value::Object(obj) = section else { return };
    for (k, v) in obj {
        data_entry(k, v, out);
    }
}

/// One child of a data section, into `out` (see [`copy_data`]).
fn data_entry(k: String, v: Value, out: &mut Map<String, Value>) {
    if k == "#attributes" {
        return;
    }
    if k == "Data" {
        match v {
            Value::Array(items) if items.iter().all(|i| i.get("#attributes").is_some()) => {
                for i in items {
                    let Value::Object(mut i) = i else { continue };
                    let name = i.get("#attributes").and_then(|a| a.get("Name")).and_then(Value::as_str);
                    if let Some(name) = name.map(str::to_owned) {
                        out.insert(name, i.remove("#text").unwrap_or(Value::Null));
                    }
                }
            }
            Value::Object(mut o) if o.contains_key("#text") => {
                out.insert("Data".into(), o.remove("#text").unwrap_or(Value::Null));
            }
            other => {
                out.insert("Data".into(), other);
            }
        }
        return;
    }
    // Some providers name fields with spaces ("Threat Name"); rules
    // name them without ("ThreatName").
    let unspaced = k.contains(' ').then(|| k.replace(' ', ""));
    match v {
        // `UserData` holds one element whose children are the fields.
        Value::Object(inner) if !inner.contains_key("#text") && !inner.is_empty() => {
            copy_data(Value::Object(inner), out);
        }
        Value::Object(mut inner) => {
            out.insert(k.clone(), inner.remove("#text").unwrap_or(Value::Null));
        }
        v => {
            out.insert(k.clone(), v);
        }
    }
    if let Some(unspaced) = unspaced
        && let Some(v) = out.get(&k).cloned()
    {
        out.insert(unspaced, v);
    }
}

/// One child of an event's `System` section, into `out` (see [`flatten`]).
fn system_entry(k: String, v: Value, out: &mut Map<String, Value>) {
    match k.as_str() {
        "Provider" => {
            if let Value::Object(mut p) = v
                && let Some(Value::Object(attrs)) = p.remove("#attributes")
            {
                for (a, av) in attrs {
                    out.insert(format!("Provider_{a}"), av);
                }
            }
        }
        "EventID" => {
            out.insert(k, number(Some(&v)).map_or(Value::Null, Value::from));
        }
        "TimeCreated" => {
            if let Some(st) = v.pointer("/#attributes/SystemTime") {
                out.insert(k, st.clone());
            }
        }
        _ => match v {
            Value::Object(mut o) => {
                if let Some(Value::Object(attrs)) = o.remove("#attributes") {
                    for (a, av) in attrs {
                        out.insert(a, av);
                    }
                }
                if let Some(t) = o.remove("#text") {
                    out.insert(k, t);
                }
            }
            v => {
                out.insert(k, v);
            }
        },
    }
}

/// Sigma's Windows field names for the Elastic Common Schema fields that
/// Winlogbeat and Elastic Agent write beside `winlog.event_data`.
const ECS_FIELDS: &[(&str, &str)] = &[
    ("process.executable", "Image"),
    ("process.command_line", "CommandLine"),
    ("process.pid", "ProcessId"),
    ("process.working_directory", "CurrentDirectory"),
    ("process.parent.executable", "ParentImage"),
    ("process.parent.command_line", "ParentCommandLine"),
    ("process.pe.original_file_name", "OriginalFileName"),
    ("user.name", "User"),
    ("host.name", "Computer"),
    ("file.path", "TargetFilename"),
    ("registry.path", "TargetObject"),
    ("dns.question.name", "QueryName"),
    ("destination.ip", "DestinationIp"),
    ("destination.port", "DestinationPort"),
    ("source.ip", "SourceIp"),
    ("source.port", "SourcePort"),
    ("@timestamp", "TimeCreated"),
];

/// The value at a dotted path, whether the object nests it or spells the
/// dots in its keys.
fn at_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let (head, rest) = path.split_once('.')?;
    at_path(v.get(head)?, rest)
}

/// A Winlogbeat / Elastic Agent Windows event: `winlog.event_data` fields,
/// `winlog.channel`, `event.code`, and the ECS fields under the names Sigma
/// rules use; the original fields are kept too.
fn flatten_winlog(event: Value) -> Value {
    let mut out = match &event {
        Value::Object(m) => m.clone(),
        _ => return event,
    };
    if let Some(data) = at_path(&event, "winlog.event_data").and_then(Value::as_object) {
        for (k, v) in data {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(ch) = at_path(&event, "winlog.channel") {
        out.entry("Channel").or_insert_with(|| ch.clone());
    }
    if let Some(id) = at_path(&event, "winlog.event_id").or_else(|| at_path(&event, "event.code")) {
        out.entry("EventID").or_insert_with(|| number(Some(id)).map_or(Value::Null, Value::from));
    }
    if let Some(p) = at_path(&event, "winlog.provider_name") {
        out.entry("Provider_Name").or_insert_with(|| p.clone());
    }
    for (ecs, sigma) in ECS_FIELDS {
        if let Some(v) = at_path(&event, ecs) {
            out.entry(*sigma).or_insert_with(|| v.clone());
        }
    }
    crate::audit::map(&mut out);
    Value::Object(out)
}

/// A Windows event (`{"Event": {"System": …, "EventData": …}}`, or as
/// Winlogbeat ships it under `winlog`) as one flat object: the system fields
/// (`EventID`, `Channel`, `Computer`, `Provider_Name`, …) beside the event
/// data fields, and a Security audit event's fields also under the names
/// of Sigma's taxonomy ([`crate::audit`]). Other values are returned as
/// they are.
pub fn flatten(event: Value) -> Value {
    if event.get("winlog").is_some() || event.get("winlog.channel").is_some() {
        return flatten_winlog(event);
    }
    // The values are moved, not copied, into the flat object.
    if !event.get("Event").and_then(|r| r.get("System")).is_some_and(Value::is_object) {
        // Already flat (as some tools export EVTX): a Security event still
        // gets Sigma's names.
        return match event {
            Value::Object(mut m) => {
                crate::audit::map(&mut m);
                Value::Object(m)
            }
            other => other,
        };
    }
    let Value::Object(mut top) = event else { return Value::Null };
    let Some(Value::Object(mut root)) = top.remove("Event") else { return Value::Object(top) };
    let Some(Value::Object(system)) = root.remove("System") else { return Value::Object(top) };
    let mut out = Map::new();
    for (k, v) in system {
        system_entry(k, v, &mut out);
    }
    for section in ["EventData", "UserData"] {
        if let Some(s) = root.remove(section) {
            copy_data(s, &mut out);
        }
    }
    crate::audit::map(&mut out);
    Value::Object(out)
}

/// The flat event of an EVTX record's JSON, as `flatten` makes of the
/// parsed record, read in one pass: the record's `Event`, `System` and data
/// sections are walked as they are parsed, so that no object is built for
/// them only to be taken apart. Anything else than a record as the `evtx`
/// crate renders one is parsed whole and flattened.
pub fn flatten_json(json: &[u8]) -> serde_json::Result<Value> {
    let mut out = Map::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    match Record(&mut out).deserialize(&mut de).and_then(|()| de.end()) {
        Ok(()) => {
            crate::audit::map(&mut out);
            Ok(Value::Object(out))
        }
        Err(_) => serde_json::from_slice(json).map(flatten),
    }
}

/// The error that sends [`flatten_json`] back to parsing the record whole.
fn other_shape<E: de::Error>() -> E {
    E::custom("not an EVTX record as rendered")
}

/// Each of the visitors below reads a JSON object, and is its own seed.
macro_rules! object_seed {
    ($($t:ident),*) => {$(
        impl<'de> DeserializeSeed<'de> for $t<'_> {
            type Value = ();

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_map(self)
            }
        }
    )*};
}
object_seed!(Record, Root, Section);

/// `{"Event": {…}}`.
struct Record<'a>(&'a mut Map<String, Value>);

impl<'de> Visitor<'de> for Record<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an EVTX record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Event" if !seen => {
                    seen = true;
                    map.next_value_seed(Root(&mut *self.0))?;
                }
                // Winlogbeat's shape, or a repeated key: parsed whole.
                "Event" | "winlog" | "winlog.channel" => return Err(other_shape()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen { Ok(()) } else { Err(other_shape()) }
    }
}

/// The record's `Event`: `System` first, then `EventData`, then
/// `UserData`, whatever their order in the text, as [`flatten`] takes them.
struct Root<'a>(&'a mut Map<String, Value>);

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an EVTX event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let mut system = false;
        let (mut event_data, mut user_data): (Option<Value>, Option<Value>) = (None, None);
        let mut streamed_event_data = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "System" if !system => {
                    system = true;
                    map.next_value_seed(Section { out: &mut *out, system: true })?;
                    if let Some(d) = event_data.take() {
                        copy_data(d, out);
                    }
                }
                "EventData" if !streamed_event_data && event_data.is_none() => {
                    if system {
                        streamed_event_data = true;
                        map.next_value_seed(Section { out: &mut *out, system: false })?;
                    } else {
                        event_data = Some(map.next_value()?);
                    }
                }
                "UserData" if user_data.is_none() => user_data = Some(map.next_value()?),
                "System" | "EventData" | "UserData" => return Err(other_shape()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !system {
            return Err(other_shape());
        }
        if let Some(d) = user_data {
            copy_data(d, out);
        }
        Ok(())
    }
}

/// The children of `System` (by [`system_entry`]) or of `EventData` (by
/// [`data_entry`]), each parsed as a value and moved into the flat event.
struct Section<'a> {
    out: &'a mut Map<String, Value>,
    system: bool,
}

impl<'de> Visitor<'de> for Section<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an EVTX event section")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            if self.system {
                system_entry(key, value, self.out);
            } else {
                data_entry(key, value, self.out);
            }
        }
        Ok(())
    }
}

/// The log source of a flattened event: Windows events by channel and event
/// id; other events by their own `product`, `service` and `category` fields,
/// or unknown.
pub fn source_of(event: &Value) -> EventSource {
    let text = |k: &str| event.get(k).and_then(Value::as_str);
    if let Some(channel) = text("Channel") {
        let id = number(event.get("EventID")).unwrap_or(-1);
        let service = service_of(channel);
        let categories = match service {
            Some("sysmon") => sysmon_categories(id, text("EventType")),
            Some("security") => crate::audit::categories(id, event),
            Some("powershell") if id == 4103 => vec!["ps_module"],
            Some("powershell") if id == 4104 => vec!["ps_script"],
            Some("powershell-classic") if id == 400 => vec!["ps_classic_start"],
            Some("powershell-classic") if id == 600 => vec!["ps_classic_provider_start"],
            Some("powershell-classic") if id == 800 => vec!["ps_classic_script"],
            _ => vec![],
        };
        return EventSource {
            product: Some("windows"),
            // An unknown channel is still a known one: rules of any named
            // service do not apply to it.
            service: Some(service.map_or_else(|| format!("channel:{channel}"), str::to_owned)),
            categories,
        };
    }
    EventSource { product: None, service: text("service").map(str::to_owned), categories: Vec::new() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_a_sysmon_event() {
        let e = json!({"Event": {"#attributes": {}, "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 13, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1",
            "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
            "EventData": {"EventType": "SetValue", "TargetObject": "HKLM\\x", "Details": "1"}}});
        let f = flatten(e);
        assert_eq!(f["EventID"], 13);
        assert_eq!(f["Provider_Name"], "Microsoft-Windows-Sysmon");
        assert_eq!(f["UserID"], "S-1-5-18");
        assert_eq!(f["TargetObject"], "HKLM\\x");
        let s = source_of(&f);
        assert_eq!(s.service.as_deref(), Some("sysmon"));
        assert_eq!(s.categories, vec!["registry_set", "registry_event"]);
    }

    #[test]
    fn a_winlogbeat_event_reads_like_the_windows_one() {
        let e = json!({"@timestamp": "2026-11-20T10:00:00Z", "host": {"name": "ws-4"},
            "event": {"code": "1"}, "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational",
            "event_data": {"Image": "C:\\w\\whoami.exe", "CommandLine": "whoami /all"}},
            "process": {"parent": {"executable": "C:\\w\\cmd.exe"}}});
        let f = flatten(e);
        assert_eq!(f["EventID"], 1);
        assert_eq!(f["Image"], "C:\\w\\whoami.exe");
        assert_eq!(f["ParentImage"], "C:\\w\\cmd.exe");
        assert_eq!(f["Computer"], "ws-4");
        assert_eq!(source_of(&f).categories, vec!["process_creation"]);
    }

    #[test]
    fn a_record_flattened_as_it_is_parsed_reads_as_one_parsed_then_flattened() {
        let records = [
            // As the evtx crate renders them.
            json!({"Event": {"#attributes": {"xmlns": "x"}, "System": {"EventID": 1, "Channel": "Security",
                "Provider": {"#attributes": {"Name": "P"}}, "TimeCreated": {"#attributes": {"SystemTime": "t"}}},
                "EventData": {"Data": [{"#attributes": {"Name": "A"}, "#text": "a"}], "Threat Name": "x"}}}),
            // Sections out of their usual order, and both data sections.
            json!({"Event": {"UserData": {"Log": {"B": "b", "A": "u"}}, "EventData": {"A": "e", "C": {"#text": 3}},
                "System": {"EventID": {"#text": "7"}, "Computer": "ws"}}}),
            // Not flattened at all, or flattened otherwise.
            json!({"Event": {"EventData": {"A": 1}}}),
            json!({"Event": {"System": "text"}}),
            json!({"winlog": {"channel": "Security", "event_id": 4688}, "Event": {"System": {}}}),
            json!({"CommandLine": "whoami"}),
            json!([1, 2]),
        ];
        for r in records {
            let text = serde_json::to_vec(&r).unwrap();
            let want = serde_json::to_string(&flatten(r)).unwrap();
            assert_eq!(serde_json::to_string(&flatten_json(&text).unwrap()).unwrap(), want);
        }
    }

    #[test]
    fn named_data_items_become_fields() {
        let e = json!({"Event": {"System": {"EventID": {"#text": 4688, "#attributes": {"Qualifiers": 0}},
            "Channel": "Security"},
            "EventData": {"Data": [{"#attributes": {"Name": "NewProcessName"}, "#text": "C:\\a.exe"}]}}});
        let f = flatten(e);
        assert_eq!(f["EventID"], 4688);
        assert_eq!(f["NewProcessName"], "C:\\a.exe");
        assert_eq!(source_of(&f).categories, vec!["process_creation"]);
    }
}
