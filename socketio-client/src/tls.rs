//! TLS for `https://` / `wss://`: rustls over the connector's connection, with certificate
//! verification against the Mozilla roots (`webpki-roots`) unless the application gives its own
//! configuration.

use std::io;
use std::sync::Arc;

use futures_rustls::TlsConnector;
use futures_rustls::rustls::pki_types::ServerName;
use futures_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::BoxIo;
use socketio_runtime::FuturesIo;
use socketio_runtime::HyperIo;

/// The default configuration: the Mozilla root certificates, the `ring` provider's safe defaults,
/// and ALPN `http/1.1`.
pub(crate) fn default_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Runs the TLS handshake for `host` (a DNS name or an IP address) over `io`.
pub(crate) async fn wrap(connector: &TlsConnector, host: &str, io: BoxIo) -> io::Result<BoxIo> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
    let stream = connector.connect(name, FuturesIo::new(io)).await?;
    Ok(Box::new(HyperIo::new(stream)))
}
