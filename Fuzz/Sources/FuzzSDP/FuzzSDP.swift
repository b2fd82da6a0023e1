import FuzzerDriver
import NIOCore
import SIP

/// libFuzzer entry point: an SDP body as a peer sends it in an INVITE, re-INVITE or answer.
/// A description that parses is answered (as the PBX answers an offer), its media sections
/// are read the way the media layer reads them, and its canonical text must parse again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    guard let session = SDPSession(body: body) else { return 0 }
    for media in session.media {
        _ = media.direction
        _ = media.ptime
        _ = media.rtcpPort
        for format in media.formats {
            _ = media.rtpmap(for: format)
            _ = media.fmtp(for: format)
            for codec in supported { _ = codec.matches(format: format, in: media) }
        }
    }
    let origin = SDPOrigin(sessionID: "1", sessionVersion: 1, connection: SDPConnection(address: "192.0.2.1"))
    _ =
        SDPOfferAnswer.answer(
            session, origin: origin, address: SDPConnection(address: "192.0.2.1"),
            port: 10_000, supported: supported)?.description
    precondition(SDPSession(session.description) != nil, "the canonical text of a parsed SDP does not parse")
    return 0
}

private let supported: [SDPCodec] = [.opus, .g722, .pcma, .pcmu, .telephoneEvent]

/// The process entry point (SwiftPM links `main` to `FuzzSDP_main`): runs libFuzzer's driver.
@_cdecl("FuzzSDP_main")
public func fuzzSDPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSDP(data!, size) }
}
