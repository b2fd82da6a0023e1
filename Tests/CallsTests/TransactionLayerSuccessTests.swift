import Logging
import NIOCore
import NIOEmbedded
import SIP
import SIPServer
import XCTest

/// Our 2xx retransmissions (RFC 3261 §13.3.1.4) are found by Call-ID when a dialog ends another
/// way (`stopRetransmissions(callID:)`): only that dialog's stop, every one of them, and nothing is
/// left of them in the layer.
final class TransactionLayerSuccessTests: XCTestCase {
    private let peer = EngineHarness.endpoint("192.0.2.7")

    private func invite(callID: String, cseq: Int) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-\(callID)-\(cseq)")
        headers.add(.maxForwards, "70")
        headers.add(.from, "<sip:a@192.0.2.7>;tag=a")
        headers.add(.to, "<sip:b@192.0.2.1>")
        headers.add(.callID, callID)
        headers.add(.cseq, "\(cseq) INVITE")
        return SIPRequest(method: .invite, uri: SIPURI(user: "b", host: "192.0.2.1", port: 5060), headers: headers)
    }

    private func sent2xx(_ transport: RecordingTransport) -> [String] {
        transport.take { $0.message.response?.statusCode == 200 }.compactMap { $0.message.response?.headers.callID }
    }

    func testStopRetransmissionsEndsOnlyThatDialogsRetransmissions() {
        let loop = EmbeddedEventLoop()
        let transport = RecordingTransport()
        let layer = SIPTransactionLayer(loop: loop, transport: transport, logger: Logger(label: "test"))
        for (callID, cseq) in [("one", 1), ("one", 2), ("two", 1)] {
            let request = invite(callID: callID, cseq: cseq)
            layer.respond(
                to: request, with: SIPResponse(replyingTo: request, statusCode: 200, toTag: "b"), destination: peer)
        }
        XCTAssertEqual(sent2xx(transport).sorted(), ["one", "one", "two"], "each 2xx sent once")
        XCTAssertEqual(layer.count, 3)

        layer.stopRetransmissions(callID: "one")
        XCTAssertEqual(layer.count, 1, "both of dialog one's retransmissions stopped")
        loop.advanceTime(by: .seconds(2))
        let again = sent2xx(transport)
        XCTAssertFalse(again.isEmpty, "dialog two's 2xx is still retransmitted (Timer G)")
        XCTAssertEqual(Set(again), ["two"])

        layer.stopRetransmissions(callID: "one")
        layer.stopRetransmissions(callID: "two")
        XCTAssertEqual(layer.count, 0)
        loop.advanceTime(by: .seconds(64))
        XCTAssertEqual(sent2xx(transport), [], "nothing retransmitted once stopped")

        // One that ended by itself (Timer H: no ACK) leaves nothing behind either.
        let request = invite(callID: "three", cseq: 1)
        layer.respond(to: request, with: SIPResponse(replyingTo: request, statusCode: 200, toTag: "b"), destination: peer)
        XCTAssertEqual(layer.count, 1)
        loop.advanceTime(by: .seconds(64))
        XCTAssertEqual(layer.count, 0)
        layer.respond(to: request, with: SIPResponse(replyingTo: request, statusCode: 200, toTag: "b"), destination: peer)
        layer.stopRetransmissions(callID: "three")
        XCTAssertEqual(layer.count, 0)
    }
}
