import XCTest

@testable import Media

final class G711Tests: XCTestCase {
    func testMuLawKnownValues() {
        XCTAssertEqual(MuLaw.encode(0), 0xFF)
        XCTAssertEqual(MuLaw.encode(-1), 0x7F)
        XCTAssertEqual(MuLaw.encode(Int16.max), 0x80)
        XCTAssertEqual(MuLaw.encode(Int16.min), 0x00)
        XCTAssertEqual(MuLaw.encode(1000), 0xCE)
        XCTAssertEqual(MuLaw.encode(-1000), 0x4E)
        XCTAssertEqual(MuLaw.decode(0xFF), 0)
        XCTAssertEqual(MuLaw.decode(0x80), 32124)
        XCTAssertEqual(MuLaw.decode(0x00), -32124)
        XCTAssertEqual(MuLaw.decode(0xCE), 988)
    }

    func testALawKnownValues() {
        XCTAssertEqual(ALaw.encode(0), 0xD5)
        XCTAssertEqual(ALaw.encode(-1), 0x55)
        XCTAssertEqual(ALaw.encode(Int16.max), 0xAA)
        XCTAssertEqual(ALaw.encode(Int16.min), 0x2A)
        XCTAssertEqual(ALaw.encode(1000), 0xFA)
        XCTAssertEqual(ALaw.decode(0xD5), 8)
        XCTAssertEqual(ALaw.decode(0x55), -8)
        XCTAssertEqual(ALaw.decode(0xAA), 32256)
        XCTAssertEqual(ALaw.decode(0x2A), -32256)
        XCTAssertEqual(ALaw.decode(0xFA), 1008)
    }

    func testEveryCodeRoundTrips() {
        for code in UInt8.min...UInt8.max {
            XCTAssertEqual(ALaw.encode(ALaw.decode(code)), code, "A-law \(code)")
            if code != 0x7F {  // µ-law has two zeros: 0xFF (+0) and 0x7F (-0)
                XCTAssertEqual(MuLaw.encode(MuLaw.decode(code)), code, "µ-law \(code)")
            }
        }
    }

    func testEncodingIsMonotonicAndCloseToTheInput() {
        var previousMu = MuLaw.decode(MuLaw.encode(Int16.min))
        var previousA = ALaw.decode(ALaw.encode(Int16.min))
        for value in stride(from: Int(Int16.min), through: Int(Int16.max), by: 7) {
            let sample = Int16(value)
            let mu = MuLaw.decode(MuLaw.encode(sample))
            let a = ALaw.decode(ALaw.encode(sample))
            XCTAssertGreaterThanOrEqual(mu, previousMu)
            XCTAssertGreaterThanOrEqual(a, previousA)
            // Quantisation error stays within half a step of the largest segment (plus clipping).
            XCTAssertLessThanOrEqual(abs(Int(mu) - value), 1100)
            XCTAssertLessThanOrEqual(abs(Int(a) - value), 1100)
            // Small signals are reproduced finely.
            if abs(value) < 256 {
                XCTAssertLessThanOrEqual(abs(Int(mu) - value), 8)
                XCTAssertLessThanOrEqual(abs(Int(a) - value), 16)
            }
            previousMu = mu
            previousA = a
        }
    }
}
