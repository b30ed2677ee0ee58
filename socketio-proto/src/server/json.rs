//! The two small JSON objects the server writes itself: the `CONNECT` reply and the
//! `CONNECT_ERROR` body. Written by hand so that building them cannot fail.

use alloc::string::String;

use engineio_proto::Utf8Bytes;

use crate::packet::RawJson;

/// `{"sid":"<id>"}`, with `,"pid":"<pid>"` when connection state recovery is on.
pub(super) fn connect_reply(sid: &str, pid: Option<&str>) -> RawJson {
    let mut json = String::with_capacity(sid.len() + pid.map_or(0, str::len) + 20);
    json.push_str("{\"sid\":");
    push_string(&mut json, sid);
    if let Some(pid) = pid {
        json.push_str(",\"pid\":");
        push_string(&mut json, pid);
    }
    json.push('}');
    RawJson::from_validated(Utf8Bytes::from(json))
}

/// `{"message":"<message>"}`, with `,"data":<data>` when there is data (the reference's
/// `JSON.stringify` leaves an undefined `data` out).
pub(super) fn connect_error(message: &str, data: Option<&RawJson>) -> RawJson {
    let data_len = data.map_or(0, |data| data.as_str().len() + 8);
    let mut json = String::with_capacity(message.len() + data_len + 16);
    json.push_str("{\"message\":");
    push_string(&mut json, message);
    if let Some(data) = data {
        json.push_str(",\"data\":");
        json.push_str(data.as_str());
    }
    json.push('}');
    RawJson::from_validated(Utf8Bytes::from(json))
}

/// Appends `text` as a JSON string literal.
fn push_string(json: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            '\n' => json.push_str("\\n"),
            '\r' => json.push_str("\\r"),
            '\t' => json.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                json.push_str("\\u00");
                json.push(char::from(HEX[byte >> 4]));
                json.push(char::from(HEX[byte & 0xf]));
            }
            c => json.push(c),
        }
    }
    json.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_stays_valid_json() {
        let tricky = "q\"b\\n\nt\tc\u{1}é🚀";
        let reply = connect_reply(tricky, None);
        assert!(RawJson::new(String::from(reply.as_str())).is_ok());
        let value: serde_json::Value = reply.deserialize().unwrap();
        assert_eq!(value["sid"], tricky);

        let data = RawJson::new("{\"retry\":[1,2]}").unwrap();
        let error = connect_error(tricky, Some(&data));
        let value: serde_json::Value = error.deserialize().unwrap();
        assert_eq!(value["message"], tricky);
        assert_eq!(value["data"]["retry"][1], 2);
        let value: serde_json::Value = connect_reply("s", Some(tricky)).deserialize().unwrap();
        assert_eq!(
            (value["sid"].as_str(), value["pid"].as_str()),
            (Some("s"), Some(tricky))
        );
        assert_eq!(connect_error("no", None).as_str(), "{\"message\":\"no\"}");
    }
}
