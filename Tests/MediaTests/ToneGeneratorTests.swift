import XCTest

@testable import Media

final class ToneGeneratorTests: XCTestCase {
    func testCountriesAndFallback() {
        XCTAssertEqual(ToneCadence.ringback(country: "it"), .italyRingback)
        XCTAssertEqual(ToneCadence.ringback(country: "IT"), .italyRingback)
        XCTAssertEqual(ToneCadence.ringback(country: "zz"), .italyRingback)
        XCTAssertEqual(ToneCadence.ringback(country: ""), .italyRingback)
        XCTAssertEqual(ToneCadence.ringback(country: "us").frequencies, [440, 480])
        XCTAssertEqual(ToneCadence.ringback(country: "uk"), .unitedKingdomRingback)
        XCTAssertEqual(ToneCadence.ringback(country: "gb").cycleMilliseconds, 3000)
        XCTAssertEqual(ToneCadence.ringback(country: "de").frequencies, [425])
        XCTAssertEqual(ToneCadence.ringback(country: "fr").segments, [.on(1500), .off(3500)])
        XCTAssertEqual(ToneCadence.italyRingback.segments, [.on(1000), .off(4000)])
    }

    func testItalyOnPhaseIs425HertzAndOffPhaseIsSilent() {
        let generator = ToneGenerator(cadence: .italyRingback)
        XCTAssertEqual(generator.cycleLength, 40_000)
        let on = generator.samples(from: 0, count: 8000)
        XCTAssertEqual(AudioAnalysis.zeroCrossingFrequency(on), 425, accuracy: 2)
        let at425 = AudioAnalysis.goertzelPower(on, frequency: 425)
        XCTAssertGreaterThan(at425, 100 * AudioAnalysis.goertzelPower(on, frequency: 350))
        XCTAssertGreaterThan(at425, 100 * AudioAnalysis.goertzelPower(on, frequency: 500))
        XCTAssertEqual(on.map { abs(Int($0)) }.max() ?? 0, 7219, accuracy: 2)
        let off = generator.samples(from: 8000, count: 32_000)
        XCTAssertTrue(off.allSatisfy { $0 == 0 })
        XCTAssertTrue(generator.isOn(at: 7999))
        XCTAssertFalse(generator.isOn(at: 8000))
        XCTAssertTrue(generator.isOn(at: 40_000))  // next cycle
        XCTAssertEqual(generator.samples(from: 40_000, count: 400), generator.samples(from: 0, count: 400))
    }

    func testUnitedStatesIsTheSumOf440And480() {
        let generator = ToneGenerator(cadence: .unitedStatesRingback)
        let on = generator.samples(from: 0, count: 16_000)
        let p440 = AudioAnalysis.goertzelPower(on, frequency: 440)
        let p480 = AudioAnalysis.goertzelPower(on, frequency: 480)
        XCTAssertEqual(p440 / p480, 1, accuracy: 0.1)
        XCTAssertGreaterThan(p440, 100 * AudioAnalysis.goertzelPower(on, frequency: 425))
        XCTAssertTrue(generator.isOn(at: 15_999))
        XCTAssertFalse(generator.isOn(at: 16_000))
        XCTAssertFalse(generator.isOn(at: 47_999))
    }

    func testUnitedKingdomDoubleRing() {
        let generator = ToneGenerator(cadence: .unitedKingdomRingback)
        // 0.4 on, 0.2 off, 0.4 on, 2.0 off at 8 kHz.
        let expectations: [(UInt64, Bool)] = [
            (0, true), (3199, true), (3200, false), (4799, false),
            (4800, true), (7999, true), (8000, false), (23_999, false),
            (24_000, true),
        ]
        for (index, isOn) in expectations {
            XCTAssertEqual(generator.isOn(at: index), isOn, "sample \(index)")
        }
        let on = generator.samples(from: 0, count: 3200)
        XCTAssertGreaterThan(
            AudioAnalysis.goertzelPower(on, frequency: 400),
            50 * AudioAnalysis.goertzelPower(on, frequency: 300))
    }

    func testFranceCadence() {
        let generator = ToneGenerator(cadence: .franceRingback)
        XCTAssertTrue(generator.isOn(at: 11_999))
        XCTAssertFalse(generator.isOn(at: 12_000))
        XCTAssertEqual(generator.cycleLength, 40_000)
        XCTAssertEqual(AudioAnalysis.zeroCrossingFrequency(generator.samples(from: 0, count: 8000)), 440, accuracy: 2)
    }
}
