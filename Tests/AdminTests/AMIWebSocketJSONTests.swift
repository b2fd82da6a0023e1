import Foundation
import NIOCore
import Testing

@testable import Admin

/// The WebSocket AMI bridge's conversions: AMI text to JSON objects (order kept, repeated keys as
/// arrays, split anywhere across reads, bounded) and JSON objects to actions (line smuggling refused).
@Suite struct AMIWebSocketJSONTests {
    @Test func amiMessagesBecomeJSONObjectsWhereverTheReadsSplitThem() throws {
        let text =
            "Asterisk Call Manager/9.0.0\r\nResponse: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
            + "Event: UserEvent\r\nVariable: A=1\r\nQuote: say \"hi\"\\\r\nVariable: B=2\r\nEmpty:\r\n\r\n"
        let expected = [
            #"{"Banner":"Asterisk Call Manager/9.0.0"}"#,
            #"{"Response":"Success","ActionID":"1","Message":"Authentication accepted"}"#,
            #"{"Event":"UserEvent","Variable":["A=1","B=2"],"Quote":"say \"hi\"\\","Empty":""}"#,
        ]
        let bytes = Array(text.utf8)
        for cut in stride(from: 0, through: bytes.count, by: 7) {
            var splitter = AMIWebSocketJSON.Splitter(limit: 1024)
            let first = try splitter.feed(ByteBuffer(bytes: bytes[..<cut]))
            let second = try splitter.feed(ByteBuffer(bytes: bytes[cut...]))
            #expect(first + second == expected, "cut at \(cut)")
        }
        let parsed = try JSONSerialization.jsonObject(with: Data(expected[2].utf8)) as? [String: Any]
        #expect(parsed?["Quote"] as? String == #"say "hi"\"#)
    }

    @Test func anUnfinishedMessageIsBounded() throws {
        var splitter = AMIWebSocketJSON.Splitter(limit: 64)
        _ = try splitter.feed(ByteBuffer(string: "Asterisk Call Manager/9.0.0\r\n"))
        #expect(try splitter.feed(ByteBuffer(string: "Event: X\r\n" + String(repeating: "a", count: 40))) == [])
        #expect(throws: AMIWebSocketJSON.Splitter.TooLarge.self) {
            try splitter.feed(ByteBuffer(string: String(repeating: "a", count: 40)))
        }
    }

    @Test func jsonObjectsBecomeActions() throws {
        let action = try AMIWebSocketJSON.action(
            fromJSON: #"{"Variable":["A=1","B=2"],"ActionID":"x","Async":true,"Timeout":30000,"action":"Originate"}"#
        ).get()
        #expect(action == "action: Originate\r\nActionID: x\r\nAsync: true\r\nTimeout: 30000\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n")
    }

    @Test func smuggledLinesAndOddValuesAreRefused() {
        let cases: [(String, String)] = [
            (#"{"Action":"Ping","ActionID":"a","X":"y\r\nAction: Originate"}"#, "The value of 'X' contains a line break"),
            (#"{"Action":"Ping","ActionID":"a","X":["ok","y\nz"]}"#, "The value of 'X' contains a line break"),
            (#"{"Action":"Ping","ActionID":"a","Bad:Key":"v"}"#, "Invalid key 'Bad:Key'"),
            (#"{"Action":"Ping","ActionID":"a","Bad\nKey":"v"}"#, "Invalid key 'Bad?Key'"),
            (#"{"Action":"Ping","ActionID":"a","":"v"}"#, "Invalid key ''"),
            (
                #"{"Action":"Ping","ActionID":"a","N":{"x":1}}"#,
                "The value of 'N' must be a string, a number, a boolean or an array of them"
            ),
            (#"{"Action":"Ping","ActionID":"a","N":null}"#, "The value of 'N' must be a string, a number, a boolean or an array of them"),
            (#"{"Action":"Ping","ActionID":"a","N":[[1]]}"#, "The value of 'N' must be a string, a number, a boolean or an array of them"),
        ]
        for (json, message) in cases {
            guard case .failure(let refusal) = AMIWebSocketJSON.action(fromJSON: json) else {
                Issue.record("accepted: \(json)")
                continue
            }
            #expect(refusal.message == message, "\(json)")
            #expect(refusal.json == #"{"Response":"Error","ActionID":"a","Message":"# + AMIWebSocketJSON.quote(message) + "}")
        }
        for notAnObject in ["[1]", "\"x\"", "not json", ""] {
            guard case .failure(let refusal) = AMIWebSocketJSON.action(fromJSON: notAnObject) else {
                Issue.record("accepted: \(notAnObject)")
                continue
            }
            #expect(refusal.json == #"{"Response":"Error","Message":"Each message must be one JSON object of AMI keys and values"}"#)
        }
    }
}
