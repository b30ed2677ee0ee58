//! The decoder's structural JSON scan against serde_json's verdict: a payload is accepted exactly when
//! it is one JSON value of the required shape.
//!
//! serde_json gives two verdicts. Reading a `Value` also asks that every `\u` escape be half of a
//! surrogate pair only when paired, and that every number fit an `f64`; skipping a value
//! (`IgnoredAny`) asks neither, and neither does the JSON grammar or the scan (JavaScript writes lone
//! surrogates, and reads `1e400` as `Infinity`). So: whatever serde_json reads as a `Value`, the scan
//! accepts; whatever the scan accepts, serde_json skips; and within serde_json's nesting limit, which
//! the scan shares, the scan and the skip agree exactly.

use std::borrow::Cow;

use bytes::Bytes;
use engineio_proto::Utf8Bytes;
use proptest::prelude::*;
use serde::de::IgnoredAny;
use serde_json::Value;
use socketio_proto::packet::{
    Decoder, DecoderConfig, PacketKind, ParseError, Payload, RawJson, placeholder,
};

fn text(s: &str) -> Utf8Bytes {
    Utf8Bytes::from(s.to_owned())
}

/// The scan as an ack's arguments (any array).
fn scan_array(json: &str) -> Result<(), ParseError> {
    Payload::from_json(text(json), Vec::new()).map(drop)
}

/// The scan as any JSON value.
fn scan_any(json: &str) -> Result<(), ParseError> {
    RawJson::new(text(json)).map(drop)
}

fn serde_reads_array(json: &str) -> bool {
    serde_json::from_str::<Vec<Value>>(json).is_ok()
}

fn serde_skips_array(json: &str) -> bool {
    serde_json::from_str::<Vec<IgnoredAny>>(json).is_ok()
}

/// Whether serde_json reads `json` as an event's array: a string or a number first.
fn serde_reads_event(json: &str) -> bool {
    matches!(
        serde_json::from_str::<Vec<Value>>(json).as_deref(),
        Ok([Value::String(_) | Value::Number(_), ..])
    )
}

/// The scan of an array against both of serde_json's verdicts (generated input stays well within
/// the nesting limit).
fn check_array(json: &str) -> Result<(), TestCaseError> {
    let scanned = scan_array(json).is_ok();
    if serde_reads_array(json) {
        prop_assert!(scanned, "serde_json reads {json:?}, the scan refuses it");
    }
    prop_assert_eq!(
        scanned,
        serde_skips_array(json),
        "the scan and serde_json's skip disagree on {:?}",
        json
    );
    Ok(())
}

fn check_any(json: &str) -> Result<(), TestCaseError> {
    let scanned = scan_any(json).is_ok();
    if serde_json::from_str::<Value>(json).is_ok() {
        prop_assert!(scanned, "serde_json reads {json:?}, the scan refuses it");
    }
    prop_assert_eq!(
        scanned,
        serde_json::from_str::<IgnoredAny>(json).is_ok(),
        "the scan and serde_json's skip disagree on {:?}",
        json
    );
    Ok(())
}

#[test]
fn agrees_with_serde_json_on_a_table() {
    let cases = [
        // Arrays and whitespace.
        "[]",
        " [ ] ",
        "\t[\n1 ,\r2\n]\n",
        "[ ]x",
        "[",
        "]",
        "[,]",
        "[1,]",
        "[1,,2]",
        "[1 2]",
        "[[[]]]",
        "[[]",
        "[]]",
        "[] []",
        "[\u{a0}]",
        "[\u{b}1]",
        // Literals.
        "[true,false,null]",
        "[tru]",
        "[truex]",
        "[nul]",
        "[True]",
        "[NaN]",
        "[Infinity]",
        // Numbers.
        "[0,-0,1,-1,10,1.5,-0.0,1e5,1E5,1e+5,1e-5,0.1e1,123456789012345678901234567890]",
        "[01]",
        "[-01]",
        "[00]",
        "[1.]",
        "[.5]",
        "[-]",
        "[-a]",
        "[+1]",
        "[1e]",
        "[1e+]",
        "[1.e5]",
        "[0x10]",
        "[1_000]",
        "[18446744073709551616]",
        "[-9223372036854775809]",
        // Strings and escapes.
        r#"["", "a", "é", "😀", "a b"]"#,
        r#"["\"\\\/\b\f\n\r\t"]"#,
        r#"["\u0041\u00e9\uFFFF\u0000"]"#,
        r#"["\ud83d\ude00"]"#,
        r#"["\a"]"#,
        r#"["\x41"]"#,
        r#"["\u12"]"#,
        r#"["\u12G4"]"#,
        r#"["\"]"#,
        r#"["\\"]"#,
        r#"["\\\""]"#,
        r#"["a]"#,
        "[\"\u{1}\"]",
        "[\"\u{1f}\"]",
        "[\"\u{7f}\"]",
        "[\"\t\"]",
        "[\"\n\"]",
        "['a']",
        // Objects.
        r#"[{}]"#,
        r#"[{"a":1,"b":[{}],"c":{"d":null}}]"#,
        r#"[{"a" : 1 , "b" : 2}]"#,
        r#"[{"a":1,}]"#,
        r#"[{"a"}]"#,
        r#"[{"a":}]"#,
        r#"[{a:1}]"#,
        r#"[{1:1}]"#,
        r#"[{"a" 1}]"#,
        r#"[{"a":1 "b":2}]"#,
        r#"[{"a":1]"#,
        r#"[{"a":1}}]"#,
        r#"[{"a\u0000":1,"a":2,"a":3}]"#,
        // Not arrays.
        "{}",
        "1",
        r#""a""#,
        "",
        " ",
    ];
    for json in cases {
        check_array(json).unwrap();
        check_any(json).unwrap();
    }
}

#[test]
fn accepts_what_the_grammar_allows_and_serde_json_reads_no_value_for() {
    // Lone surrogates: JavaScript's `JSON.stringify("😀".slice(0, 1))` writes `"\ud83d"`.
    for json in [
        r#"["\ud83d"]"#,
        r#"["\ude00"]"#,
        r#"["\ud83d\u0041"]"#,
        r#"["\ude00\ud83d"]"#,
        "[1e400]",
        "[-1e400]",
    ] {
        assert!(!serde_reads_array(json), "{json}");
        assert!(serde_skips_array(json), "{json}");
        assert_eq!(scan_array(json), Ok(()), "{json}");
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    // `depth` containers, the outer array included: arrays alone, or arrays and objects in turn.
    let nested = |depth: usize, with_objects: bool| {
        let (mut open, mut close) = (String::new(), Vec::new());
        for level in 0..depth {
            if with_objects && level % 2 == 1 {
                open.push_str(r#"{"k":"#);
                close.push('}');
            } else {
                open.push('[');
                close.push(']');
            }
        }
        open + &close.iter().rev().collect::<String>()
    };
    for with_objects in [false, true] {
        for depth in 120..136 {
            let json = nested(depth, with_objects);
            assert_eq!(
                scan_array(&json).is_ok(),
                serde_reads_array(&json),
                "depth {depth}: {json}"
            );
        }
        assert!(scan_array(&nested(127, with_objects)).is_ok());
        assert_eq!(
            scan_array(&nested(128, with_objects)),
            Err(ParseError::InvalidJson)
        );
    }
    assert_eq!(
        scan_array(&nested(1_000_000, false)),
        Err(ParseError::InvalidJson),
        "refused by count, not by the stack"
    );
    // At the limit, the recursion fits a small stack (it needs under 32 KiB optimized, under
    // 128 KiB unoptimized), attachments or not.
    let at_limit = nested(127, true);
    let binary = format!(
        r#"51-["a",{}{{"_placeholder":true,"num":0}}{}]"#,
        r#"{"k":["#.repeat(62),
        "]}".repeat(62)
    );
    let small_stack = std::thread::Builder::new().stack_size(256 << 10);
    let scanned = small_stack
        .spawn(move || (scan_array(&at_limit), decode(&binary)))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(scanned, (Ok(()), Ok(None)));
}

#[test]
fn errors_keep_their_meaning() {
    assert_eq!(scan_array(r#"{"x":1}"#), Err(ParseError::InvalidPayload));
    assert_eq!(scan_array(r#"{"x":"#), Err(ParseError::InvalidPayload));
    assert_eq!(scan_array(r#""x"#), Err(ParseError::InvalidJson));
    assert_eq!(scan_array(r#""x""#), Err(ParseError::InvalidPayload));
    assert_eq!(scan_array("tru"), Err(ParseError::InvalidJson));
    assert_eq!(scan_array("true x"), Err(ParseError::InvalidPayload));
    assert_eq!(scan_array("[1"), Err(ParseError::InvalidJson));
    assert_eq!(scan_array("[1] 2"), Err(ParseError::InvalidJson));
    assert_eq!(scan_any(" 1 "), Ok(()));
    assert_eq!(scan_any(""), Err(ParseError::InvalidJson));
}

fn decode(input: &str) -> Result<Option<socketio_proto::packet::Packet>, ParseError> {
    Decoder::new(DecoderConfig {
        max_attachments: 100,
    })
    .decode_text(text(input))
}

#[test]
fn event_names_are_found_by_the_scan() {
    let name = |input: &str| {
        let packet = decode(input).unwrap().unwrap();
        let PacketKind::Event { args, .. } = &packet.kind else {
            panic!("{packet:?}")
        };
        args.event_name().map(Cow::into_owned)
    };
    assert_eq!(name(r#"2[ "chat" ,1]"#).as_deref(), Some("chat"));
    assert_eq!(
        name(r#"2["a\"b\u00e9\ud83d\ude00"]"#).as_deref(),
        Some("a\"bé😀")
    );
    assert_eq!(name("2[-1.5e0]").as_deref(), Some("-1.5"));
    assert_eq!(
        name("2[18446744073709551615]").as_deref(),
        Some("18446744073709551615")
    );
    assert_eq!(name(r#"2["é",{"a":[1,2]}]"#).as_deref(), Some("é"));
    // Every decoded event has a name: one that is no text is refused.
    assert_eq!(decode(r#"2["\ud83d"]"#), Err(ParseError::InvalidPayload));
    assert_eq!(decode("2[1e400]"), Err(ParseError::InvalidPayload));
    assert_eq!(decode(r#"2["a", "\ud83d"]"#).map(|p| p.is_some()), Ok(true));

    let frame = text(r#"2["plain",1]"#);
    let packet = Decoder::default()
        .decode_text(frame.clone())
        .unwrap()
        .unwrap();
    let PacketKind::Event { args, .. } = &packet.kind else {
        panic!("{packet:?}")
    };
    let Some(Cow::Borrowed(plain)) = args.event_name() else {
        panic!("an unescaped name is borrowed")
    };
    assert_eq!(
        plain.as_ptr(),
        frame[3..].as_ptr(),
        "straight from the frame"
    );
}

#[test]
fn placeholders_are_found_however_they_are_written() {
    // Keys are compared unescaped, in any order, with any whitespace.
    let escaped = r#"51-["a",{ "num" : 0 , "\u005fplaceholder" : true }]"#;
    assert_eq!(decode(escaped), Ok(None));
    let escaped_num = r#"51-["a",{"_placeholder":true,"n\u0075m":0}]"#;
    assert_eq!(decode(escaped_num), Ok(None));
    let not_the_key = r#"51-["a",{"_placeholder ":true,"num":0}]"#;
    assert_eq!(
        decode(not_the_key),
        Err(ParseError::AttachmentCountMismatch {
            announced: 1,
            found: 0
        })
    );
    // A placeholder inside a placeholder's value makes the outer one invalid.
    let nested = r#"51-["a",{"_placeholder":true,"num":{"_placeholder":true,"num":0}}]"#;
    assert_eq!(decode(nested), Err(ParseError::InvalidPlaceholder));
    // The first `_placeholder` decides whether the object is one.
    let first_false =
        r#"51-["a",{"_placeholder":false,"_placeholder":true},{"_placeholder":true,"num":0}]"#;
    assert_eq!(decode(first_false), Ok(None));
    let index_too_big = r#"51-["a",{"_placeholder":true,"num":18446744073709551616}]"#;
    assert_eq!(decode(index_too_big), Err(ParseError::InvalidPlaceholder));

    // More attachments than one word of the index set holds.
    let many: Vec<String> = (0..100)
        .rev()
        .map(|num| placeholder(num).to_string())
        .collect();
    let json = format!("[\"many\",{}]", many.join(","));
    assert_eq!(decode(&format!("5100-{json}")), Ok(None));
    let attachments = vec![Bytes::from_static(b"x"); 100];
    assert!(Payload::from_json(text(&json), attachments.clone()).is_ok());
    let repeated = json.replace(r#""num":99}"#, r#""num":98}"#);
    assert_eq!(
        Payload::from_json(text(&repeated), attachments),
        Err(ParseError::InvalidPlaceholder)
    );
}

// ---- generated and mutated JSON ----

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n", "\t ", "\r\n"])
}

fn string_token() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z _é😀]{1,4}",
        Just(r#"\""#.to_owned()),
        Just(r"\\".to_owned()),
        prop::sample::select(vec![r"\/", r"\b", r"\f", r"\n", r"\r", r"\t"]).prop_map(String::from),
        "\\\\u[0-9a-fA-F]{4}",
        Just(r"\ud83d\ude00".to_owned()),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn number_token() -> impl Strategy<Value = String> {
    "-?(0|[1-9][0-9]{0,19})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?"
}

fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["null", "true", "false"]).prop_map(String::from),
        number_token(),
        string_token(),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec((whitespace(), inner.clone(), whitespace()), 0..5).prop_map(
                |items| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(a, v, b)| format!("{a}{v}{b}"))
                        .collect();
                    format!("[{}]", items.join(","))
                }
            ),
            prop::collection::vec((string_token(), whitespace(), inner), 0..5).prop_map(
                |members| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, w, v)| format!("{k}{w}:{w}{v}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }
            ),
        ]
    })
}

/// Characters a mutation inserts or substitutes: JSON's own, and a few that are never valid.
fn mutation_char() -> impl Strategy<Value = char> {
    prop::sample::select(
        "[]{}\",:\\ \t\n0123456789-+.eEtrufalsn/bu\u{1}\u{0}xé😀"
            .chars()
            .collect::<Vec<_>>(),
    )
}

#[derive(Clone, Debug)]
enum Mutation {
    Insert(prop::sample::Index, char),
    Replace(prop::sample::Index, char),
    Delete(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), mutation_char()).prop_map(|(at, c)| Mutation::Insert(at, c)),
        (any::<prop::sample::Index>(), mutation_char())
            .prop_map(|(at, c)| Mutation::Replace(at, c)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
    ]
}

fn mutate(json: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = json.chars().collect();
    for mutation in mutations {
        match *mutation {
            Mutation::Insert(at, c) => chars.insert(at.index(chars.len() + 1), c),
            Mutation::Replace(at, c) if !chars.is_empty() => {
                let at = at.index(chars.len());
                chars[at] = c;
            }
            Mutation::Delete(at) if !chars.is_empty() => {
                chars.remove(at.index(chars.len()));
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn generated_json_agrees_with_serde_json(json in json_text(), before in whitespace(), after in whitespace()) {
        check_any(&format!("{before}{json}{after}"))?;
        check_array(&format!("{before}[{json}]{after}"))?;
        check_array(&json)?;
    }

    #[test]
    fn mutated_json_agrees_with_serde_json(
        json in json_text(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mutated = mutate(&format!("[{json}]"), &mutations);
        check_array(&mutated)?;
        check_any(&mutated)?;
    }

    #[test]
    fn decoded_events_have_names_and_serde_json_agrees(
        json in json_text(),
        mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        let args = mutate(&format!("[\"name\",{json}]"), &mutations);
        // Leading digits would be read as the ack id, a leading `/` as a namespace.
        prop_assume!(!args.starts_with(|c: char| c.is_ascii_digit() || c == '/'));
        match decode(&format!("2{args}")) {
            Ok(Some(packet)) => {
                prop_assert!(serde_skips_array(&args), "accepted {:?}", args);
                prop_assert!(packet.event_name().is_some(), "no name in {:?}", args);
            }
            Ok(None) => prop_assert!(false, "not a binary packet"),
            Err(_) => prop_assert!(!serde_reads_event(&args), "refused {:?}", args),
        }
    }
}
