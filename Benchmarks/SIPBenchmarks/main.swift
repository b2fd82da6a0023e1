// Parser throughput on typical phone messages, in CPU time of this thread (so that other work on the
// machine does not move the figures). Build with `swift run -c release SIPBenchmarks`.
import NIOCore
import SIP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let invite = """
    INVITE sip:1002@pbx.example.com SIP/2.0\r
    Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r
    Max-Forwards: 70\r
    To: <sip:1002@pbx.example.com>\r
    From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774\r
    Call-ID: a84b4c76e66710@192.0.2.10\r
    CSeq: 314159 INVITE\r
    Contact: <sip:1001@192.0.2.10:5060;transport=udp>\r
    Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r
    User-Agent: baresip v1.0.0\r
    Content-Type: application/sdp\r
    Content-Length: 153\r
    \r
    v=0\r
    o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r
    s=-\r
    c=IN IP4 192.0.2.10\r
    t=0 0\r
    m=audio 49170 RTP/AVP 0 8 101\r
    a=rtpmap:101 telephone-event/8000\r

    """

let register = """
    REGISTER sip:pbx.example.com SIP/2.0\r
    Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport\r
    Max-Forwards: 70\r
    To: <sip:1001@pbx.example.com>\r
    From: <sip:1001@pbx.example.com>;tag=456248\r
    Call-ID: 843817637684230@998sdasdh09\r
    CSeq: 1826 REGISTER\r
    Contact: <sip:1001@192.0.2.10:5060>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"\r
    Authorization: Digest username="1001", realm="pbx.example.com", nonce="abc", uri="sip:pbx.example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz"\r
    Expires: 3600\r
    Content-Length: 0\r
    \r

    """

/// CPU seconds of this thread.
func seconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func measure(_ name: String, iterations: Int, messagesPerIteration: Int = 1, _ body: () throws -> Void) rethrows {
    for _ in 0..<max(1, iterations / 10) { try body() }  // warm-up
    let start = seconds()
    for _ in 0..<iterations { try body() }
    let elapsed = seconds() - start
    let messages = iterations * messagesPerIteration
    let rate = Double(messages) / elapsed
    print("\(name): \(Int(rate)) messages per CPU second (\(String(format: "%.2f", elapsed * 1e6 / Double(messages))) µs each)")
}

let parser = SIPMessageParser()
let inviteBytes = ByteBuffer(string: invite)
let registerBytes = ByteBuffer(string: register)
let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000

try measure("parse INVITE (datagram)", iterations: iterations) {
    var buffer = inviteBytes
    guard try parser.parseDatagram(&buffer) != nil else { fatalError("INVITE did not parse") }
}
try measure("parse REGISTER (datagram)", iterations: iterations) {
    var buffer = registerBytes
    guard try parser.parseDatagram(&buffer) != nil else { fatalError("REGISTER did not parse") }
}
var streamInput = ByteBuffer()
for _ in 0..<1000 {
    streamInput.writeImmutableBuffer(inviteBytes)
    streamInput.writeImmutableBuffer(registerBytes)
}
try measure("parse INVITE+REGISTER (TCP stream decoder)", iterations: max(1, iterations / 2000), messagesPerIteration: 2000) {
    var decoder = SIPStreamDecoder()
    var buffer = streamInput
    var count = 0
    while try decoder.decode(buffer: &buffer) != nil { count += 1 }
    precondition(count == 2000)
}
var inviteCopy = inviteBytes
let request = try parser.parseDatagram(&inviteCopy)
measure("serialize INVITE", iterations: iterations) {
    _ = request?.serialized
}

// The SDP of a phone's answer (SIPp's, with telephone-event), parsed and written again per call leg.
let sdpText = """
    v=0\r
    o=user1 53655765 2353687637 IN IP4 192.0.2.10\r
    s=-\r
    c=IN IP4 192.0.2.10\r
    t=0 0\r
    m=audio 6000 RTP/AVP 0 8 101\r
    a=rtpmap:0 PCMU/8000\r
    a=rtpmap:8 PCMA/8000\r
    a=rtpmap:101 telephone-event/8000\r
    a=fmtp:101 0-15\r
    a=ptime:20\r
    a=sendrecv\r

    """
let sdpBody = ByteBuffer(string: sdpText)
measure("parse SDP (answer with 3 formats)", iterations: iterations) {
    guard SDPSession(body: sdpBody) != nil else { fatalError("SDP did not parse") }
}
let sdp = SDPSession(body: sdpBody)!
measure("serialize SDP", iterations: iterations) {
    _ = sdp.body
}
// The lookups a dialog makes on each message: Call-ID, CSeq, the top Via, From and To tags, Content-Type.
let headers = request!.headers
measure("look up 6 header fields", iterations: iterations) {
    precondition(
        headers[.callID] != nil && headers[.cseq] != nil && headers.values(.via).count == 1 && headers[.from] != nil
            && headers[.to] != nil && headers[.contentType] != nil)
}
