#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
//! Sigma conformance: every value modifier and field feature of the Sigma
//! specification (rules 2.1.0 and its modifiers appendix 2.1.0), each with
//! events that must match and events that must not, the specification's own
//! examples used where it gives them. Every event goes through the fast
//! path (prefilter and matcher) and the naive matcher, alone and beside
//! every other case's rule, so that the prefilter can never drop an event a
//! rule matches. `cargo test -p firebreak-detect --test conformance --
//! --nocapture` prints the table: feature, cases, result.

use std::collections::BTreeMap;

use firebreak_detect::{Detector, Library, event, pipeline};
use serde_json::{Value, json};

struct Case {
    /// The modifier or feature, as the table names it.
    feature: &'static str,
    /// The rule's `detection:` section, indented four spaces.
    detection: &'static str,
    matching: Vec<Value>,
    not_matching: Vec<Value>,
}

fn case(feature: &'static str, detection: &'static str, matching: Vec<Value>, not_matching: Vec<Value>) -> Case {
    Case { feature, detection, matching, not_matching }
}

fn cmd(line: &str) -> Value {
    json!({ "CommandLine": line })
}

/// A processing pipeline that defines the placeholders of the `expand` cases.
const PLACEHOLDERS: &str = r#"
name: placeholders
priority: 10
vars:
  Administrators:
    - admin
    - 'adm-*'
  DomainControllers:
    - dc01
transformations:
  - type: value_placeholders
"#;

fn cases() -> Vec<Case> {
    vec![
        // ---- Generic modifiers -------------------------------------------------
        case(
            "contains",
            r#"    selection:
        CommandLine|contains: 'whoami'
    condition: selection
"#,
            vec![cmd("cmd /c WHOAMI /all"), cmd("whoami")],
            vec![cmd("who ami"), json!({ "Image": "whoami.exe" })],
        ),
        case(
            // "replaces e.g. 'adm*'"
            "startswith",
            r#"    selection:
        User|startswith: 'adm'
    condition: selection
"#,
            vec![json!({ "User": "Administrator" }), json!({ "User": "ADM" })],
            vec![json!({ "User": "sysadm" }), json!({ "User": "ad" })],
        ),
        case(
            // "replaces e.g. '*\cmd.exe'"
            "endswith",
            r#"    selection:
        Image|endswith: '\cmd.exe'
    condition: selection
"#,
            vec![json!({ "Image": "C:\\Windows\\System32\\CMD.EXE" })],
            vec![json!({ "Image": "C:\\Windows\\System32\\cmd.exe.bak" }), json!({ "Image": "C:\\xcmd.exe" })],
        ),
        case(
            // The keywords example of the specification, on a field.
            "all",
            r#"    selection:
        CommandLine|contains|all:
            - 'OabVirtualDirectory'
            - ' -ExternalUrl '
    condition: selection
"#,
            vec![cmd("Set-OabVirtualDirectory -ExternalUrl http://x"), cmd(" -externalurl  oabvirtualdirectory")],
            vec![cmd("Set-OabVirtualDirectory -InternalUrl http://x"), cmd(" -ExternalUrl http://x")],
        ),
        case(
            "exists",
            // The specification's example; presence, not value.
            r#"    selection:
        EventID: 4738
        PasswordLastSet|exists: true
    condition: selection
"#,
            vec![json!({ "EventID": 4738, "PasswordLastSet": "-" }), json!({ "EventID": 4738, "PasswordLastSet": "" })],
            vec![json!({ "EventID": 4738 }), json!({ "EventID": 4739, "PasswordLastSet": "-" })],
        ),
        case(
            "exists",
            r#"    selection:
        EventID: 4738
        PasswordLastSet|exists: false
    condition: selection
"#,
            vec![json!({ "EventID": 4738 })],
            vec![json!({ "EventID": 4738, "PasswordLastSet": "-" }), json!({ "EventID": 4738, "PasswordLastSet": "" })],
        ),
        case(
            // A wildcard in a beginning: the rest of the value is open.
            "startswith + wildcard",
            r#"    selection:
        CommandLine|startswith: 'sed -i /^*'
    condition: selection
"#,
            vec![cmd("sed -i /^root/d /etc/passwd"), cmd("SED -I /^")],
            vec![cmd("x sed -i /^root/d"), cmd("sed -i s/^x//")],
        ),
        case(
            // A wildcard in an ending: anything may come before.
            "endswith + wildcard",
            r#"    selection:
        ParentImage|endswith: '\7z*.exe'
    condition: selection
"#,
            vec![json!({ "ParentImage": "C:\\Program Files\\7-Zip\\7zFM.exe" }), json!({ "ParentImage": "\\7z.exe" })],
            vec![json!({ "ParentImage": "C:\\7-Zip\\7zFM.exe.bak" }), json!({ "ParentImage": "C:\\7-Zip\\x7z.exe" })],
        ),
        case(
            "cased",
            r#"    selection:
        CommandLine|contains|cased: 'Invoke-Mimikatz'
    condition: selection
"#,
            vec![cmd("powershell Invoke-Mimikatz -DumpCreds")],
            vec![cmd("powershell invoke-mimikatz"), cmd("powershell INVOKE-MIMIKATZ")],
        ),
        case(
            "cased",
            r#"    selection:
        Image|endswith|cased: '\PsExec.exe'
    condition: selection
"#,
            vec![json!({ "Image": "C:\\Tools\\PsExec.exe" })],
            vec![json!({ "Image": "C:\\Tools\\psexec.exe" })],
        ),
        case(
            "neq",
            r#"    selection:
        Status|neq: disabled
    condition: selection
"#,
            vec![json!({ "Status": "enabled" })],
            vec![json!({ "Status": "disabled" }), json!({ "Status": "DISABLED" })],
        ),
        case(
            "neq",
            r#"    selection:
        LogonType|neq:
            - 2
            - 10
    condition: selection
"#,
            vec![json!({ "LogonType": 3 })],
            vec![json!({ "LogonType": 2 }), json!({ "LogonType": "10" })],
        ),
        // ---- String modifiers --------------------------------------------------
        case(
            // The missed detection: the rule writes `/`, the event `-`.
            "windash",
            r#"    selection:
        CommandLine|contains|windash: ' /accepteula'
    condition: selection
"#,
            vec![
                cmd("pd.exe /accepteula -ma lsass.exe"),
                cmd("pd.exe -accepteula -ma lsass.exe"),
                cmd("pd.exe \u{2013}accepteula -ma lsass.exe"),
                cmd("pd.exe \u{2014}accepteula -ma lsass.exe"),
                cmd("pd.exe \u{2015}ACCEPTEULA -ma lsass.exe"),
            ],
            vec![cmd("pd.exe accepteula -ma lsass.exe"), cmd("pd.exe +accepteula"), cmd("pd.exe -accept-eula")],
        ),
        case(
            "windash",
            r#"    selection:
        CommandLine|contains|windash: ' -s -i cmd'
    condition: selection
"#,
            vec![cmd("psexec /s /i cmd"), cmd("psexec -s /i cmd"), cmd("psexec \u{2014}s \u{2013}i cmd")],
            vec![cmd("psexec -s -x cmd"), cmd("psexec s i cmd")],
        ),
        case(
            // A rule written with an en dash.
            "windash",
            r#"    selection:
        CommandLine|endswith|windash: "–enc"
    condition: selection
"#,
            vec![cmd("powershell -enc"), cmd("powershell /enc")],
            vec![cmd("powershell -enc x"), cmd("powershell enc")],
        ),
        case(
            // Wildcards stay wildcards.
            "windash",
            r#"    selection:
        CommandLine|windash: '* -enc *'
    condition: selection
"#,
            vec![cmd("powershell /enc SQBFAFgA"), cmd("powershell -enc ")],
            vec![cmd("powershell -enc"), cmd("powershell enc x"), cmd("powershell -encx")],
        ),
        case(
            // With `all`: every value, each in any of its forms.
            "windash",
            r#"    selection:
        CommandLine|contains|all|windash:
            - ' -s'
            - ' /i'
    condition: selection
"#,
            vec![cmd("psexec /s -i cmd"), cmd("psexec -i -s cmd")],
            vec![cmd("psexec -s cmd"), cmd("psexec /i cmd")],
        ),
        case(
            "re",
            // Case-sensitive by default; the flavour's anchors, groups,
            // quantifiers and classes.
            r#"    selection:
        CommandLine|re: '^net(1)?\.exe user [a-z]+ /add$'
    condition: selection
"#,
            vec![cmd("net.exe user bob /add"), cmd("net1.exe user eve /add")],
            vec![cmd("NET.EXE user bob /add"), cmd("net.exe user bob /add /y"), cmd("net2.exe user bob /add")],
        ),
        case(
            "re",
            r#"    selection:
        CommandLine|re: 'ipconfig\s+/(all|displaydns)'
    condition: selection
"#,
            vec![cmd("ipconfig   /displaydns"), cmd("c:\\ipconfig /all")],
            vec![cmd("ipconfig /release"), cmd("IPCONFIG /ALL")],
        ),
        case(
            "re|i",
            r#"    selection:
        CommandLine|re|i: 'invoke-mimikatz\s+-dumpcreds'
    condition: selection
"#,
            vec![cmd("INVOKE-MIMIKATZ  -DumpCreds"), cmd("Invoke-Mimi\u{212A}atz -dumpcred\u{17F}")],
            vec![cmd("Invoke-Mimikatz"), cmd("invoke-mimikatz-dumpcreds")],
        ),
        case(
            "re|m",
            r#"    selection:
        ScriptBlockText|re|m: '^whoami$'
    condition: selection
"#,
            vec![json!({ "ScriptBlockText": "cd \\\nwhoami\nexit" })],
            vec![json!({ "ScriptBlockText": "cd \\\nwhoami /all\nexit" })],
        ),
        case(
            "re (no m)",
            r#"    selection:
        ScriptBlockText|re: '^whoami$'
    condition: selection
"#,
            vec![json!({ "ScriptBlockText": "whoami" })],
            vec![json!({ "ScriptBlockText": "cd \\\nwhoami\nexit" })],
        ),
        case(
            "re|s",
            r#"    selection:
        ScriptBlockText|re|s: 'FromBase64String.+Invoke'
    condition: selection
"#,
            vec![json!({ "ScriptBlockText": "$a=[Convert]::FromBase64String($b)\nInvoke-Expression $a" })],
            vec![json!({ "ScriptBlockText": "Invoke-Expression $a; FromBase64String($b)" })],
        ),
        case(
            "re (no s)",
            r#"    selection:
        ScriptBlockText|re: 'FromBase64String.+Invoke'
    condition: selection
"#,
            vec![json!({ "ScriptBlockText": "FromBase64String($b); Invoke-Expression" })],
            vec![json!({ "ScriptBlockText": "$a=[Convert]::FromBase64String($b)\nInvoke-Expression $a" })],
        ),
        // ---- Encodings -----------------------------------------------------------
        case(
            "base64",
            r#"    selection:
        CommandLine|base64|contains: 'http://'
    condition: selection
"#,
            vec![cmd("powershell -e aHR0cDovLw==")],
            vec![cmd("powershell -e aHR0cHM6Ly8="), cmd("powershell http://")],
        ),
        case(
            "base64",
            r#"    selection:
        Payload|base64: 'http://'
    condition: selection
"#,
            vec![json!({ "Payload": "aHR0cDovLw==" })],
            vec![json!({ "Payload": "x aHR0cDovLw==" }), json!({ "Payload": "http://" })],
        ),
        case(
            // The three shifts of the specification.
            "base64offset",
            r#"    selection:
        CommandLine|base64offset|contains: '/bin/bash -i'
    condition: selection
"#,
            vec![
                cmd("echo L2Jpbi9iYXNoIC1p | base64 -d | sh"),
                cmd("echo eC9iaW4vYmFzaCAtaQ== | base64 -d | sh"),
                cmd("echo eHgvYmluL2Jhc2ggLWk= | base64 -d | sh"),
            ],
            vec![cmd("echo L2Jpbi9zaCAtaQ== | base64 -d"), cmd("/bin/bash -i")],
        ),
        case(
            // `cmd` > 63 00 6d 00 64 00, then base64.
            "utf16le",
            r#"    selection:
        CommandLine|utf16le|base64offset|contains: 'cmd /c whoami'
    condition: selection
"#,
            vec![
                cmd("powershell -enc YwBtAGQAIAAvAGMAIAB3AGgAbwBhAG0AaQA="),
                cmd("powershell -enc eABjAG0AZAAgAC8AYwAgAHcAaABvAGEAbQBpAA=="),
            ],
            vec![cmd("powershell -enc Y21kIC9jIHdob2FtaQ=="), cmd("cmd /c whoami")],
        ),
        case(
            "wide",
            r#"    selection:
        CommandLine|wide|base64offset|contains: 'ping 127.0.0.1'
    condition: selection
"#,
            vec![cmd("powershell -e cABpAG4AZwAgADEAMgA3AC4AMAAuADAALgAxAA==")],
            vec![cmd("powershell -e cGluZyAxMjcuMC4wLjE="), cmd("ping 127.0.0.1")],
        ),
        case(
            // `cmd` > 00 63 00 6d 00 64
            "utf16be",
            r#"    selection:
        Payload|utf16be|base64offset|contains: 'cmd'
    condition: selection
"#,
            vec![json!({ "Payload": "xx AGMAbQBk yy" })],
            vec![json!({ "Payload": "xx YwBtAGQA yy" })],
        ),
        case(
            // `cmd` > FF FE 63 00 6d 00 64 00
            "utf16",
            r#"    selection:
        Payload|utf16|base64|contains: 'cmd'
    condition: selection
"#,
            vec![json!({ "Payload": "xx //5jAG0AZAA= yy" })],
            vec![json!({ "Payload": "xx YwBtAGQA yy" })],
        ),
        // ---- Numeric modifiers ---------------------------------------------------
        case(
            "lt",
            r#"    selection:
        LogonType|lt: 3
    condition: selection
"#,
            vec![json!({ "LogonType": 2 }), json!({ "LogonType": "2" })],
            vec![json!({ "LogonType": 3 }), json!({ "LogonType": 10 }), json!({ "LogonType": "x" })],
        ),
        case(
            "lte",
            r#"    selection:
        LogonType|lte: 3
    condition: selection
"#,
            vec![json!({ "LogonType": 3 }), json!({ "LogonType": 2 })],
            vec![json!({ "LogonType": 4 }), json!({})],
        ),
        case(
            "gt",
            r#"    selection:
        LogonType|gt: 3
    condition: selection
"#,
            vec![json!({ "LogonType": 10 }), json!({ "LogonType": "4" })],
            vec![json!({ "LogonType": 3 }), json!({ "LogonType": 2 })],
        ),
        case(
            "gte",
            r#"    selection:
        LogonType|gte: 3
    condition: selection
"#,
            vec![json!({ "LogonType": 3 }), json!({ "LogonType": 10 })],
            vec![json!({ "LogonType": 2 }), json!({ "LogonType": "two" })],
        ),
        // ---- Time modifiers ------------------------------------------------------
        case(
            "hour",
            r#"    selection:
        UtcTime|hour: 3
    condition: selection
"#,
            vec![json!({ "UtcTime": "2024-05-01T03:12:00Z" })],
            vec![json!({ "UtcTime": "2024-05-01T13:12:00Z" })],
        ),
        case(
            "month",
            r#"    selection:
        UtcTime|month: 12
    condition: selection
"#,
            vec![json!({ "UtcTime": "2024-12-24T20:00:00Z" })],
            vec![json!({ "UtcTime": "2024-11-24T20:00:00Z" })],
        ),
        // ---- IP modifiers --------------------------------------------------------
        case(
            "cidr",
            // The specification's example.
            r#"    selection:
        DestinationIp|cidr: 10.0.0.0/8
    condition: selection
"#,
            vec![json!({ "DestinationIp": "10.1.2.3" }), json!({ "DestinationIp": "10.255.255.255" })],
            vec![json!({ "DestinationIp": "11.0.0.1" }), json!({ "DestinationIp": "110.0.0.1" })],
        ),
        case(
            "cidr",
            r#"    selection:
        DestinationIp|cidr:
            - '127.0.0.0/8'
            - 'fe80::/10'
    condition: selection
"#,
            vec![json!({ "DestinationIp": "fe80::1" }), json!({ "DestinationIp": "127.0.0.1" })],
            vec![json!({ "DestinationIp": "fec0::1" }), json!({ "DestinationIp": "128.0.0.1" })],
        ),
        // ---- Specific modifiers --------------------------------------------------
        case(
            // A placeholder the processing pipeline defines: any of its values,
            // each read as a Sigma value (wildcards too).
            "expand",
            r#"    selection:
        User|expand: '%Administrators%'
    condition: selection
"#,
            vec![json!({ "User": "admin" }), json!({ "User": "ADM-7" })],
            vec![json!({ "User": "guest" }), json!({ "User": "xadmin" })],
        ),
        case(
            "expand",
            r#"    selection:
        Computer|expand: '%DomainControllers%.corp.local'
    condition: selection
"#,
            vec![json!({ "Computer": "DC01.corp.local" })],
            vec![json!({ "Computer": "dc02.corp.local" }), json!({ "Computer": "%DomainControllers%.corp.local" })],
        ),
        case(
            // Without `expand` a placeholder is plain text.
            "expand (absent)",
            r#"    selection:
        User: '%Administrators%'
    condition: selection
"#,
            vec![json!({ "User": "%administrators%" })],
            vec![json!({ "User": "admin" })],
        ),
        case(
            "fieldref",
            r#"    selection:
        TargetUserName|fieldref: SubjectUserName
    condition: selection
"#,
            vec![json!({ "TargetUserName": "bob", "SubjectUserName": "bob" })],
            vec![json!({ "TargetUserName": "bob", "SubjectUserName": "eve" }), json!({ "TargetUserName": "bob" })],
        ),
        case(
            "fieldref",
            r#"    selection:
        TargetUserName|fieldref|neq: SubjectUserName
    condition: selection
"#,
            vec![json!({ "TargetUserName": "bob", "SubjectUserName": "eve" })],
            vec![json!({ "TargetUserName": "bob", "SubjectUserName": "bob" })],
        ),
        case(
            "fieldref",
            r#"    selection:
        CommandLine|fieldref|contains: User
    condition: selection
"#,
            vec![json!({ "CommandLine": "net user bob /del", "User": "bob" })],
            vec![json!({ "CommandLine": "net user eve /del", "User": "bob" })],
        ),
        // ---- Field values --------------------------------------------------------
        case(
            "null",
            // The specification's example: a filter on a null field.
            r#"    selection:
        EventID: 4738
    filter:
        PasswordLastSet: null
    condition: selection and not filter
"#,
            vec![json!({ "EventID": 4738, "PasswordLastSet": "-" }), json!({ "EventID": 4738, "PasswordLastSet": "" })],
            vec![json!({ "EventID": 4738 }), json!({ "EventID": 4738, "PasswordLastSet": null })],
        ),
        case(
            "empty value",
            r#"    selection:
        FieldA: 'something'
    selection_empty1:
        FieldB: ''
    selection_empty2:
        FieldB: null
    condition: selection and 1 of selection_empty*
"#,
            vec![json!({ "FieldA": "something", "FieldB": "" }), json!({ "FieldA": "something" })],
            vec![json!({ "FieldA": "something", "FieldB": "x" }), json!({ "FieldA": "other", "FieldB": "" })],
        ),
        case(
            // Lists are OR, maps AND (the specification's example).
            "lists and maps",
            r#"    selection:
        EventLog: Security
        EventID:
            - 517
            - 1102
    condition: selection
"#,
            vec![
                json!({ "EventLog": "Security", "EventID": 1102 }),
                json!({ "EventLog": "security", "EventID": "517" }),
            ],
            vec![json!({ "EventLog": "Security", "EventID": 4624 }), json!({ "EventLog": "System", "EventID": 517 })],
        ),
        case(
            "lists of maps",
            r#"    selection:
        - Image|endswith: '\example.exe'
        - Description|contains: 'Test executable'
    condition: selection
"#,
            vec![json!({ "Image": "C:\\example.exe" }), json!({ "Description": "A test executable" })],
            vec![json!({ "Image": "C:\\example.exe.txt", "Description": "Test" })],
        ),
        case(
            // The specification's keyword example.
            "keywords",
            r#"    keywords:
        - 'EVILSERVICE'
        - 'svchost.exe -n evil'
    condition: keywords
"#,
            vec![json!({ "ServiceName": "evilservice" }), json!({ "x": 1, "CommandLine": "C:\\svchost.exe -n evil" })],
            vec![json!({ "ServiceName": "EvilSvc" }), json!({ "CommandLine": "svchost.exe -k netsvcs" })],
        ),
        case(
            "keywords",
            r#"    keywords_cmdlet:
        '|all':
            - 'OabVirtualDirectory'
            - ' -ExternalUrl '
    condition: keywords_cmdlet
"#,
            vec![json!({ "Payload": "Set-OabVirtualDirectory -ExternalUrl http://evil" })],
            vec![json!({ "Payload": "Set-OabVirtualDirectory -InternalUrl http://x" })],
        ),
        case(
            "keywords",
            r#"    keywords:
        - 'mimi*katz'
    condition: keywords
"#,
            vec![json!({ "CommandLine": "x mimi-the-katz y" })],
            vec![json!({ "CommandLine": "katz mimi" })],
        ),
        // ---- Wildcards and escapes ---------------------------------------------
        case(
            // `progA.exe or progB.exe or ...` will be `prog?.exe`
            "wildcard ?",
            r#"    selection:
        Image: 'prog?.exe'
    condition: selection
"#,
            vec![json!({ "Image": "progA.exe" }), json!({ "Image": "PROGb.exe" })],
            vec![json!({ "Image": "prog.exe" }), json!({ "Image": "progAB.exe" })],
        ),
        case(
            // `antivirus_V1.exe or antivirus_V21.2.1.exe or ...` will be `antivirus_V*.exe`
            "wildcard *",
            r#"    selection:
        Image: 'antivirus_V*.exe'
    condition: selection
"#,
            vec![json!({ "Image": "antivirus_V1.exe" }), json!({ "Image": "antivirus_V21.2.1.exe" })],
            vec![json!({ "Image": "antivirus_V1.dll" }), json!({ "Image": "xantivirus_V1.exe" })],
        ),
        case(
            // A wildcard escaped is plain: `\*`, `\?`.
            "escaped wildcard",
            r#"    selection:
        CommandLine|contains:
            - 'a\*b'
            - 'c\?d'
    condition: selection
"#,
            vec![cmd("x a*b y"), cmd("x c?d y")],
            vec![cmd("x axb y"), cmd("x cxd y"), cmd("x a\\*b y")],
        ),
        case(
            // A plain backslash: single or double, the same.
            "backslash",
            r#"    selection:
        - Image: 'C:\Windows\System32\cmd.exe'
        - Image: 'C:\\Windows\\System32\\rundll32.exe'
    condition: selection
"#,
            vec![
                json!({ "Image": "C:\\Windows\\System32\\cmd.exe" }),
                json!({ "Image": "C:\\Windows\\System32\\rundll32.exe" }),
            ],
            vec![json!({ "Image": "C:\\\\Windows\\\\System32\\\\rundll32.exe" })],
        ),
        case(
            // `\\*`: a backslash, then a wildcard.
            "backslash + wildcard",
            r#"    selection:
        TargetFilename|startswith: 'C:\Users\\*\AppData'
    condition: selection
"#,
            vec![json!({ "TargetFilename": "C:\\Users\\bob\\AppData\\x" })],
            vec![
                json!({ "TargetFilename": "C:\\Users\\*AppData" }),
                json!({ "TargetFilename": "C:\\Users\\bob\\Temp" }),
            ],
        ),
        case(
            // `\\\*`: a backslash and an asterisk, both plain.
            "escaped backslash + escaped wildcard",
            r#"    selection:
        TargetFilename|endswith: 'dir\\\*'
    condition: selection
"#,
            vec![json!({ "TargetFilename": "C:\\dir\\*" })],
            vec![json!({ "TargetFilename": "C:\\dir\\x" }), json!({ "TargetFilename": "C:\\dir*" })],
        ),
        case(
            // `\\\\`: two backslashes (three too, before a plain character).
            "double backslash",
            r#"    selection:
        CommandLine|contains:
            - ' \\\\srv'
            - ' \\\ws'
    condition: selection
"#,
            vec![cmd("net use \\\\srv\\c$"), cmd("dir \\\\ws\\share")],
            vec![cmd("net use \\srv\\c$"), cmd("dir \\ws\\share")],
        ),
        // ---- The shapes other hunters read otherwise ---------------------------
        case(
            // `\\.\pipe\` written `\\\\.\\pipe\\`; a PsExec pipe by its prefix.
            "escapes: PsExec named pipes",
            r#"    selection_cli:
        CommandLine|contains: '> \\\\.\\pipe\\'
    selection_pipe:
        PipeName|startswith: '\PSEXESVC'
    condition: 1 of selection_*
"#,
            vec![cmd("cmd /c whoami > \\\\.\\pipe\\PSEXESVC"), json!({ "PipeName": "\\PSEXESVC-WS1-4242-stdin" })],
            vec![
                cmd("cmd /c whoami > \\.\\pipe\\PSEXESVC"),
                cmd("cmd /c whoami > \\\\x\\pipe\\PSEXESVC"),
                json!({ "PipeName": "\\\\PSEXESVC-WS1-4242-stdin" }),
            ],
        ),
        case(
            // `\\\\*\\*\\*`: `\\`, anything, `\`, anything, `\`, anything —
            // a UNC path (CrackMapExec's output redirection).
            "escapes: UNC paths",
            r#"    selection:
        CommandLine|contains: 'cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1'
    condition: selection
"#,
            vec![cmd("cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1700000000.5 2>&1")],
            vec![
                cmd("cmd.exe /Q /c whoami 1> \\127.0.0.1\\ADMIN$\\__1700000000.5 2>&1"),
                cmd("cmd.exe /Q /c whoami 1> out.txt 2>&1"),
            ],
        ),
        case(
            // `\\\\*\\*$`: a share by UNC path.
            "escapes: UNC paths",
            r#"    selection:
        CommandLine|contains: ' \\\\*\\*$'
    condition: selection
"#,
            vec![cmd("net use Z: \\\\srv01\\C$"), cmd("copy x.exe \\\\10.0.0.5\\ADMIN$\\x.exe")],
            vec![cmd("net use Z: \\srv01\\C$"), cmd("net use Z: \\\\srv01")],
        ),
        case(
            // `\\\\\?\\`: `\\?\` with a plain question mark, never a wildcard.
            "escapes: volume shadow copy paths",
            r#"    selection:
        CommandLine|contains: '\\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy'
    condition: selection
"#,
            vec![cmd("copy \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\NTDS\\ntds.dit C:\\x")],
            vec![
                cmd("copy \\\\A\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\x"),
                cmd("copy \\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\x"),
            ],
        ),
        case(
            // `\\\\\*\\IPC$`: a plain asterisk as the host.
            "escapes: UNC paths",
            r#"    selection:
        path: '\\\\\*\\IPC$'
    condition: selection
"#,
            vec![json!({ "path": "\\\\*\\IPC$" })],
            vec![json!({ "path": "\\\\srv\\IPC$" })],
        ),
    ]
}

fn rule(n: usize, detection: &str) -> String {
    format!(
        "title: Case {n}\nid: 00000000-0000-4000-8000-{n:012}\nlevel: high\n\
         logsource: {{product: windows, category: process_creation}}\ndetection:\n{detection}"
    )
}

/// What one event did on the fast path and the naive matcher, against
/// what it should have done. `None` when both agree with the specification.
fn check(detector: &Detector, index: usize, ev: &Value, want: bool) -> Option<String> {
    let src = event::source_of(ev);
    let fast = detector.matches(ev, &src).contains(&index);
    let naive = detector.naive_matches(ev, &src).contains(&index);
    (fast != want || naive != want).then(|| format!("fast path {fast}, naive {naive}, expected {want}: {ev}"))
}

#[test]
fn every_modifier_matches_as_the_specification_says_on_both_paths() {
    let cases = cases();
    let pipelines = vec![pipeline::parse(PLACEHOLDERS).unwrap()];
    let mut all = Library::default();
    let mut failures = Vec::new();
    let mut table: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        let text = rule(i + 1, c.detection);
        let mut one = Library::default();
        one.add_file(&format!("case{}.yml", i + 1), &text);
        assert!(one.problems.is_empty(), "{} (case {}): {:?}", c.feature, i + 1, one.problems);
        all.add_file(&format!("case{}.yml", i + 1), &text);
        let (alone, problems) = Detector::with_pipelines(&one.rules, &[], &pipelines);
        assert!(problems.is_empty(), "{problems:?}");
        let row = table.entry(c.feature).or_default();
        row.0 += 1;
        for (ev, want) in c.matching.iter().map(|e| (e, true)).chain(c.not_matching.iter().map(|e| (e, false))) {
            row.1 += 1;
            if let Some(f) = check(&alone, 0, ev, want) {
                failures.push(format!("{} (case {}): {f}", c.feature, i + 1));
                row.2 += 1;
            }
        }
    }
    // Every rule beside every other: one prefilter over all of them.
    let (together, problems) = Detector::with_pipelines(&all.rules, &[], &pipelines);
    assert!(problems.is_empty(), "{problems:?}");
    for (i, c) in cases.iter().enumerate() {
        let index = together.rule_index(&format!("00000000-0000-4000-8000-{:012}", i + 1)).unwrap();
        for (ev, want) in c.matching.iter().map(|e| (e, true)).chain(c.not_matching.iter().map(|e| (e, false))) {
            if let Some(f) = check(&together, index, ev, want) {
                failures.push(format!("{} (case {}, among all): {f}", c.feature, i + 1));
            }
            let src = event::source_of(ev);
            assert_eq!(together.matches(ev, &src), together.naive_matches(ev, &src), "{ev}");
        }
    }
    println!("{:<40} {:>5} {:>7}  result", "modifier / feature", "rules", "events");
    for (feature, (rules, events, failed)) in &table {
        let result = if *failed == 0 { "pass".to_owned() } else { format!("{failed} FAILED") };
        println!("{feature:<40} {rules:>5} {events:>7}  {result}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is refused, with the reason given: the rule is reported by file and
/// line and the others load.
#[test]
fn what_the_specification_does_not_allow_is_refused_with_a_reason() {
    let refused: &[(&str, &str, &str)] = &[
        // "Single item values are not allowed to have an all modifier."
        ("all with one value", "CommandLine|contains|all: 'x'", "more than one value"),
        ("windash over 8 dashes", "CommandLine|windash: '-a-b-c-d-e-f-g-h-i'", "9 dashes, at most 8"),
        ("two operators", "CommandLine|startswith|endswith: 'a'", "at most one operator"),
        ("re with contains", "CommandLine|re|contains: 'a'", "at most one operator"),
        ("an encoding of a regular expression", "CommandLine|base64|re: 'a'", "|base64"),
        ("an unknown modifier", "CommandLine|foo: 'a'", "Unknown modifier 'foo'"),
        ("look-around, outside the regex flavour", "CommandLine|re: '(?<=a)b'", "look-around"),
        ("a CIDR that is none", "DestinationIp|cidr: 'not-an-ip'", "invalid CIDR"),
        ("a comparison with no number", "LogonType|gt: 'abc'", "expected numeric value"),
        ("a time part with no number", "UtcTime|hour: 'x'", "requires numeric value"),
        ("a field reference with a wildcard", "User|fieldref: 'Subject*'", "must not contain wildcards"),
    ];
    let mut failures = Vec::new();
    for (i, (what, item, reason)) in refused.iter().enumerate() {
        let text = rule(i + 1, &format!("    selection:\n        {item}\n    condition: selection\n"));
        let mut lib = Library::default();
        lib.add_file("refused.yml", &text);
        let reasons: Vec<&str> = lib.problems.iter().map(|p| p.reason.as_str()).collect();
        if !lib.rules.is_empty() || !reasons.iter().any(|r| r.contains(reason)) {
            failures.push(format!("{what}: {} loaded, problems {reasons:?}", lib.rules.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where Firebreak still departs from the specification, as the README
/// says; each pinned here so that the README is kept true when it changes.
#[test]
fn the_known_departures_are_as_documented() {
    let departures: &[(&str, &str, Value, bool)] = &[
        // The specification: `exists` checks presence, "be it empty or
        // null"; `rsigma` reads a field whose value is null as absent.
        ("exists on a null field", "PasswordLastSet|exists: true", json!({ "PasswordLastSet": null }), false),
        // A placeholder no processing pipeline defines is read from the
        // event's field of that name (the specification leaves it to the
        // pipelines, and a tool that cannot fill it in refuses the rule).
        (
            "a placeholder no pipeline defines",
            "User|expand: '%Admins%'",
            json!({ "User": "bob", "Admins": "bob" }),
            true,
        ),
    ];
    for (i, (what, item, ev, matched)) in departures.iter().enumerate() {
        let text = rule(i + 1, &format!("    selection:\n        {item}\n    condition: selection\n"));
        let mut lib = Library::default();
        lib.add_file("departure.yml", &text);
        assert!(lib.problems.is_empty(), "{what}: {:?}", lib.problems);
        let (detector, _) = Detector::new(&lib.rules, &[]);
        assert!(check(&detector, 0, ev, *matched).is_none(), "{what}: no longer as documented");
    }
}
