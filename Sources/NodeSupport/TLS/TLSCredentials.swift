import Foundation
import NIOSSL

/// The node's certificate chain and private key (PEM files, `--tls-cert` / `--tls-key`), checked at
/// start: a missing or unreadable file, a file without a certificate or key, or a key that does not
/// match the certificate stops the start with a clear error. Every TLS listener (SIP, AMI, HTTPS)
/// serves with these, TLS 1.2 or later only.
public struct TLSCredentials: Sendable {
    /// Why the credentials could not be loaded.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// TLS 1.0 and 1.1 are deprecated (RFC 8996); SIP over TLS asks for 1.2 or later (RFC 8996 §1.1).
    public static let minimumVersion = TLSVersion.tlsv12

    /// The server configuration (also what Hummingbird's HTTPS server takes).
    public let configuration: TLSConfiguration
    /// The context the NIO listeners share (one per node: loading it parses the PEM files once).
    public let context: NIOSSLContext
    public let certificatePath: String
    public let keyPath: String

    /// Loads and checks the pair.
    public static func load(certificatePath: String, keyPath: String) throws -> TLSCredentials {
        for (what, path) in [("certificate", certificatePath), ("private key", keyPath)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw LoadError(description: "cannot read the TLS \(what) file \(path): no such file or not readable")
            }
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw LoadError(description: "\(certificatePath) holds no PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw LoadError(description: "\(certificatePath) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw LoadError(description: "\(keyPath) holds no unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key))
        configuration.minimumTLSVersion = minimumVersion
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw LoadError(description: "the private key \(keyPath) does not match the certificate \(certificatePath) (\(error))")
        }
        return TLSCredentials(configuration: configuration, context: context, certificatePath: certificatePath, keyPath: keyPath)
    }
}
