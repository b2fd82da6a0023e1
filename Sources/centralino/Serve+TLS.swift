import Admin
import NIOCore
import NodeSupport

/// The TLS listeners `serve` starts: none without `--tls-cert`; with it, SIP over TLS, AMI over TLS
/// and HTTPS, each on its flag's address or by default on its plain listener's host at the usual
/// port (5061, Asterisk's 5039, 8443). `off` turns one of them off.
struct TLSListeners {
    var sip: TLSListenerSettings?
    var ami: TLSListenerSettings?
    var https: AdminHTTPSSettings?

    static let defaultSIPPort = 5061
    static let defaultAMIPort = 5039
    static let defaultHTTPSPort = 8443
}

extension Serve {
    func tlsListeners(sip: BindAddress, ami: BindAddress, http: BindAddress) throws -> TLSListeners {
        let certificate = EnvironmentOption.resolve(tlsCert, "CENTRALINO_TLS_CERT", default: "")
        let key = EnvironmentOption.resolve(tlsKey, "CENTRALINO_TLS_KEY", default: "")
        let sipText = EnvironmentOption.resolve(sipTlsBind, "CENTRALINO_SIP_TLS_BIND", default: "")
        let amiText = EnvironmentOption.resolve(amiTlsBind, "CENTRALINO_AMI_TLS_BIND", default: "")
        let httpsText = EnvironmentOption.resolve(httpsBind, "CENTRALINO_HTTPS_BIND", default: "")
        guard !certificate.isEmpty || !key.isEmpty else {
            for (flag, text) in [("--sip-tls-bind", sipText), ("--ami-tls-bind", amiText), ("--https-bind", httpsText)]
            where !text.isEmpty && text != "off" {
                throw CommandFailure("\(flag) needs a certificate and key: give --tls-cert and --tls-key")
            }
            return TLSListeners()
        }
        guard !certificate.isEmpty, !key.isEmpty else { throw CommandFailure("--tls-cert and --tls-key go together: give both PEM files") }
        let timeout = try EnvironmentOption.resolveInt(
            tlsHandshakeTimeout, "CENTRALINO_TLS_HANDSHAKE_TIMEOUT",
            default: Int(TLSListenerSettings.defaultHandshakeTimeout.nanoseconds / 1_000_000_000))
        guard (1...3600).contains(timeout) else { throw CommandFailure("--tls-handshake-timeout must be 1 to 3600 seconds") }
        let credentials: TLSCredentials
        do {
            credentials = try TLSCredentials.load(certificatePath: certificate, keyPath: key)
        } catch {
            throw CommandFailure("\(error)")
        }
        func address(_ text: String, flag: String, host: String, port: Int) throws -> BindAddress? {
            if text == "off" { return nil }
            if text.isEmpty { return try BindAddress(parsing: BindAddress.format(host: host, port: port), flag: flag) }
            return try BindAddress(parsing: text, flag: flag)
        }
        var listeners = TLSListeners()
        let handshake = TimeAmount.seconds(Int64(timeout))
        if let bind = try address(sipText, flag: "--sip-tls-bind", host: sip.host, port: TLSListeners.defaultSIPPort) {
            listeners.sip = TLSListenerSettings(host: bind.host, port: bind.port, credentials: credentials, handshakeTimeout: handshake)
        }
        if let bind = try address(amiText, flag: "--ami-tls-bind", host: ami.host, port: TLSListeners.defaultAMIPort) {
            listeners.ami = TLSListenerSettings(host: bind.host, port: bind.port, credentials: credentials, handshakeTimeout: handshake)
        }
        if let bind = try address(httpsText, flag: "--https-bind", host: http.host, port: TLSListeners.defaultHTTPSPort) {
            listeners.https = AdminHTTPSSettings(
                host: bind.host, port: bind.port, tlsConfiguration: credentials.configuration,
                handlers: { [TLSHandshakeTimeoutHandler(timeout: handshake)] })
        }
        return listeners
    }
}

extension BindAddress {
    /// `HOST:PORT` as `BindAddress(parsing:)` reads it (IPv6 hosts in brackets).
    static func format(host: String, port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
