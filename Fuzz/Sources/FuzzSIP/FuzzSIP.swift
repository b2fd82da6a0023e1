import FuzzerDriver
import NIOCore
import SIP

/// libFuzzer entry point: bytes as they arrive on the SIP port, as one UDP datagram and as a
/// TCP stream read in chunks whose sizes come from the input. Every parsed message is taken
/// through what the transaction layer reads from it: typed headers, URIs, Digest credentials,
/// the SDP body, a reply and serialization (which must parse again).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)

    var datagram = ByteBuffer(bytes: bytes)
    if let message = try? SIPMessageParser().parseDatagram(&datagram) {
        exercise(message)
    }

    var decoder = SIPStreamDecoder()
    var stream = ByteBuffer()
    let chunkSizes = bytes.prefix(8).map { Int($0) * 4 + 1 }
    var offset = 0
    var chunk = 0
    streaming: while offset < bytes.count {
        let length = min(chunkSizes[chunk % chunkSizes.count], bytes.count - offset)
        stream.writeBytes(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)]))
        offset += length
        chunk += 1
        do {
            while let inbound = try decoder.decode(buffer: &stream) {
                if case .message(let message) = inbound { exercise(message) }
            }
        } catch {
            break streaming  // framing is impossible: the connection is closed
        }
        stream.discardReadBytes()
    }
    return 0
}

private func exercise(_ message: SIPMessage) {
    let headers = message.headers
    _ = headers.vias?.map { ($0.branch, $0.received, $0.rport, $0.sentBy, $0.hasRFC3261Branch, $0.description) }
    _ = headers.from?.tag
    _ = headers.to?.description
    _ = headers.callID
    _ = headers.cseq?.description
    _ = headers.maxForwards
    _ = headers.contentLength
    _ = headers.expires
    _ = headers.isContactWildcard
    _ = headers.contacts?.map { ($0.expires, $0.q, $0.instanceID, $0.uri.description) }
    _ = headers.routes?.count
    _ = headers.recordRoutes?.count
    var credentials: [DigestCredentials] = []
    for name in ["Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate"] {
        if let value = headers[SIPHeaderName(name)] {
            if let parsed = DigestCredentials(value) { credentials.append(parsed) }
            _ = DigestChallenge(value)?.description
            _ = SIPAuthParameters(value)
        }
    }
    _ = SDPSession(body: message.body)?.description
    if let request = message.request {
        _ = request.uri.description
        _ = SIPResponse(replyingTo: request, statusCode: 400, toTag: "fuzz").serialized
        for credential in credentials {
            _ = credential.description
            _ = Digest.isValid(credential, ha1: String(repeating: "0", count: 32), method: request.method)
            _ = Digest.uri(credential.uri, matches: request.uri)
        }
        // The registrar runs on every authenticated REGISTER: twice, so a refresh meets bindings.
        let registrar = Registrar()
        let (_, bindings) = registrar.register(request, current: [], now: 1_000_000, source: "192.0.2.1:5060", transport: "udp")
        _ = registrar.register(request, current: bindings, now: 1_000_500, source: "192.0.2.1:5060", transport: "udp")
    }
    var serialized = message.serialized
    _ = try? SIPMessageParser().parseDatagram(&serialized)
}

/// The process entry point (SwiftPM links `main` to `FuzzSIP_main`): runs libFuzzer's driver.
@_cdecl("FuzzSIP_main")
public func fuzzSIPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSIP(data!, size) }
}
