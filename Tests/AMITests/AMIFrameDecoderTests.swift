import AMI
import NIOCore
import NIOTestUtils
import XCTest

final class AMIFrameDecoderTests: XCTestCase {
    func message(_ pairs: KeyValuePairs<String, String>) -> AMIInbound {
        AMIInbound(message: AMIMessage(pairs))
    }

    func testVerifierByteByByteAndManyAtOnce() throws {
        let input = ByteBuffer(string: "Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\n\r\nAction: Ping\nActionID: 7\n\n")
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (
                    input,
                    [
                        message(["Action": "Login", "Username": "crm", "Secret": "s3cret"]),
                        message(["Action": "Ping", "ActionID": "7"]),
                    ]
                )
            ],
            decoderFactory: { AMIFrameDecoder() })
    }

    func decodeAll(_ text: String) throws -> [AMIInbound] {
        var decoder = AMIFrameDecoder()
        var buffer = ByteBuffer(string: text)
        var out: [AMIInbound] = []
        while let next = try decoder.decode(buffer: &buffer) { out.append(next) }
        return out
    }

    func testValueWhitespaceRules() throws {
        let out = try decodeAll("Action:Ping\r\nActionID:   trailing   \r\nAction : Other\r\n\r\n")
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].message.action, "Ping")
        XCTAssertEqual(out[0].message.actionID, "trailing   ")
        XCTAssertEqual(out[0].message["action "], "Other", "a space before the colon is part of the key")
    }

    func testFirstOccurrenceWinsAndKeysAreCaseInsensitive() throws {
        let out = try decodeAll("ACTION: ping\r\nactionid: a\r\nActionID: b\r\nVariable: A=1\r\nvariable: B=2,C=3\r\n\r\n")
        XCTAssertEqual(out[0].message.action, "ping")
        XCTAssertEqual(out[0].message.actionID, "a")
        XCTAssertEqual(out[0].message.variableLines, ["A=1", "B=2,C=3"])
    }

    func testEmptyMessagesAreIgnoredAndLinesWithoutColonDropped() throws {
        let out = try decodeAll("\r\n\r\nnonsense\r\nAction: Ping\r\n\r\n")
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].message.headers.count, 1)
    }

    func testLineOfExactlyTheLimitIsAccepted() throws {
        let value = String(repeating: "x", count: AMILimits.maximumLineLength - "ActionID: ".count - 2)
        let out = try decodeAll("Action: Ping\r\nActionID: \(value)\r\n\r\n")
        XCTAssertNil(out[0].problem)
        XCTAssertEqual(out[0].message.actionID, value)
    }

    func testOverlongLineMarksMessageAndSessionGoesOn() throws {
        let long = String(repeating: "y", count: 1500)
        let out = try decodeAll("Action: Ping\r\nActionID: a1\r\nX-Long: \(long)\r\n\r\nAction: Ping\r\n\r\n")
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[0].problem, .lineTooLong)
        XCTAssertEqual(out[0].message.actionID, "a1")
        XCTAssertNil(out[1].problem)
    }

    func testOverlongLineArrivingInPiecesIsBounded() throws {
        var decoder = AMIFrameDecoder()
        var buffer = ByteBuffer(string: "Action: Ping\r\n")
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        for _ in 0..<100 {
            buffer.writeString(String(repeating: "z", count: 1000))
            XCTAssertNil(try decoder.decode(buffer: &buffer))
            XCTAssertLessThan(buffer.readableBytes, AMILimits.maximumLineLength, "the decoder must not buffer an endless line")
        }
        buffer.writeString("\r\n\r\n")
        let out = try decoder.decode(buffer: &buffer)
        XCTAssertEqual(out?.problem, .lineTooLong)
    }

    func testTooManyHeaders() throws {
        var text = "Action: Ping\r\n"
        for index in 0..<130 { text += "X-\(index): v\r\n" }
        let out = try decodeAll(text + "\r\nAction: Ping\r\n\r\n")
        XCTAssertEqual(out[0].problem, .tooManyLines)
        XCTAssertEqual(out[0].problem?.replyMessage, "Too many lines in message or allocation failure")
        XCTAssertNil(out[1].problem)
    }

    func testExactlyMaximumHeadersIsAccepted() throws {
        var text = "Action: Ping\r\n"
        for index in 0..<(AMILimits.maximumHeaderCount - 1) { text += "X-\(index): v\r\n" }
        let out = try decodeAll(text + "\r\n")
        XCTAssertNil(out[0].problem)
    }
}
