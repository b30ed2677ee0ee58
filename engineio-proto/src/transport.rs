//! The transports a session can use.

/// An Engine.IO transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: GET receives a payload, POST sends one.
    Polling,
    /// One WebSocket, one packet per frame.
    WebSocket,
}

impl Transport {
    /// The name used in the `transport` query parameter and the handshake's `upgrades`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    /// Parses a `transport` query parameter.
    pub fn parse(name: &str) -> Option<Transport> {
        match name {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::WebSocket),
            _ => None,
        }
    }
}

impl core::fmt::Display for Transport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of enabled transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transports {
    /// Long-polling is enabled.
    pub polling: bool,
    /// WebSocket is enabled.
    pub websocket: bool,
}

impl Transports {
    /// Both transports (the default).
    pub const ALL: Transports = Transports {
        polling: true,
        websocket: true,
    };
    /// Long-polling only.
    pub const POLLING: Transports = Transports {
        polling: true,
        websocket: false,
    };
    /// WebSocket only.
    pub const WEBSOCKET: Transports = Transports {
        polling: false,
        websocket: true,
    };

    /// Whether `transport` is enabled.
    pub fn contains(self, transport: Transport) -> bool {
        match transport {
            Transport::Polling => self.polling,
            Transport::WebSocket => self.websocket,
        }
    }
}

impl Default for Transports {
    fn default() -> Self {
        Transports::ALL
    }
}
