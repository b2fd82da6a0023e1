import Foundation
import XCTest

@testable import Cluster

/// The event bus's hand-written JSON: the same text Foundation reads, Foundation's text read back,
/// every escape, and refusals.
final class ClusterPayloadJSONTests: XCTestCase {
    private let tenant = UUID(uuidString: "6f1c2b1e-0000-4000-8000-000000000001")!

    private struct Wire: Codable, Equatable {
        struct Field: Codable, Equatable {
            var name: String
            var value: String
        }
        var t: UUID
        var n: String
        var b: Int64
        var s: UInt64
        var at: Int64?
        var e: String?
        var c: Int?
        var f: [Field]?
        var r: Int64?
    }

    private func event(_ fields: [ClusterEvent.Field]) -> ClusterEvent {
        ClusterEvent(
            tenant: tenant, node: "n-2.a_b", boot: -5, sequence: UInt64(Int64.max), sentAt: 1_700_000_001_000_000, name: "Ev\"ent",
            classes: 0x7fff, fields: fields)
    }

    private let awkward: [ClusterEvent.Field] = [
        .init("Plain", "PJSIP/100-00000001"), .init("Quote\"Back\\slash", "/a/b/"), .init("Controls", "\u{0}\u{1}\t\r\n\u{1f}\u{7f}"),
        .init("Unicode", "é中🙂\u{2028}"), .init("", ""),
    ]

    func testFoundationReadsWhatIsWritten() throws {
        let original = event(awkward)
        let wire = try JSONDecoder().decode(Wire.self, from: Data(ClusterPayload.encode(original).utf8))
        XCTAssertEqual(wire.t, tenant)
        XCTAssertEqual(wire.n, original.node)
        XCTAssertEqual(wire.b, -5)
        XCTAssertEqual(wire.s, UInt64(Int64.max))
        XCTAssertEqual(wire.e, "Ev\"ent")
        XCTAssertEqual(wire.c, 0x7fff)
        XCTAssertEqual(wire.f?.map { ClusterEvent.Field($0.name, $0.value) }, awkward)
        let reference = try JSONDecoder().decode(Wire.self, from: Data(ClusterPayload.encodeReference(id: 9, of: original).utf8))
        XCTAssertEqual(reference.r, 9)
        XCTAssertNil(reference.f)
    }

    func testWhatFoundationWritesIsRead() throws {
        let original = event(awkward)
        let wire = Wire(
            t: tenant, n: original.node, b: original.boot, s: original.sequence, at: original.sentAt, e: original.name, c: original.classes,
            f: awkward.map { Wire.Field(name: $0.name, value: $0.value) }, r: nil)
        for formatting in [JSONEncoder.OutputFormatting(), [.prettyPrinted, .sortedKeys], [.withoutEscapingSlashes]] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            let text = String(decoding: try encoder.encode(wire), as: UTF8.self)
            XCTAssertEqual(ClusterPayload.decode(text), .inline(original), text)
        }
    }

    func testEscapesAndSurrogatePairsAreRead() {
        let text =
            #"{"t":"6F1C2B1E-0000-4000-8000-000000000001","n":"n2","b":1,"s":2,"at":3,"e":"E","c":1,"#
            + #""f":[{"name":"A\u00e9\ud83d\ude42\/\b\f\n\r\t","value":"\"\\"}]}"#
        guard case .inline(let read)? = ClusterPayload.decode(text) else { return XCTFail("not read: \(text)") }
        XCTAssertEqual(read.fields, [.init("Aé🙂/\u{8}\u{c}\n\r\t", "\"\\")])
    }

    func testMalformedTextIsRefused() {
        let good = ClusterPayload.encode(event([.init("A", "B")]))
        XCTAssertNotNil(ClusterPayload.decode(good))
        for bad in [
            String(good.dropLast()), good + "x", good.replacingOccurrences(of: "\"c\":", with: "\"zz\":"),
            good.replacingOccurrences(of: "\"value\":\"B\"", with: "\"value\":\"B\u{1}\""),
            good.replacingOccurrences(of: "\"s\":", with: "\"s\":-"), good.replacingOccurrences(of: "\"b\":-5", with: "\"b\":99999999999999999999"),
            #"{"t":"6F1C2B1E-0000-4000-8000-000000000001","n":"n2","b":1,"s":2,"at":3,"e":"\ud83d","c":1,"f":[]}"#,
            #"{"t":"6F1C2B1E-0000-4000-8000-000000000001","n":"n2","b":1,"s":2,"at":3,"e":"\q","c":1,"f":[]}"#,
            #"{"t":"not-a-uuid","n":"n2","b":1,"s":2,"at":3,"e":"E","c":1,"f":[]}"#, "", "[]",
        ] {
            XCTAssertNil(ClusterPayload.decode(bad), bad)
        }
    }
}

final class ClusterPayloadPublisherTests: XCTestCase {
    func testThePublisherIsReadFromTheStartOfAPayload() {
        let event = ClusterEvent(
            tenant: UUID(), node: "n2", boot: 1, sequence: 2, sentAt: 3, name: "E", classes: 1, fields: [.init("A", "B")])
        XCTAssertEqual(ClusterPayload.publisher(of: ClusterPayload.encode(event)), "n2")
        XCTAssertEqual(ClusterPayload.publisher(of: ClusterPayload.encodeReference(id: 4, of: event)), "n2")
        XCTAssertNil(ClusterPayload.publisher(of: #"{"n":"n2","t":"x"}"#))
        XCTAssertNil(ClusterPayload.publisher(of: "garbage"))
    }
}
