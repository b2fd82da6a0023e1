import Foundation
import PBX

/// What a session's substring event filters cost the loop that publishes an event, in the worst case
/// a tenant can arrange: 32 filters (the default `--ami-max-filters`) of 256 bytes, `aaa…ab`, over an
/// event whose value is all `a` (a variable of 4,096 bytes, or a 16 KB text). Prints µs per event for
/// one session; the publishing loop pays that once per session of the tenant that takes the event.
enum FilterBenchmark {
    static func run() {
        let pattern = String(repeating: "a", count: 255) + "b"
        let filters = (0..<AMIEventFilter.Limits.defaultFilters).map { _ in
            try! AMIEventFilter(matchCriteria: "", pattern: "!" + pattern)
        }
        var set = AMIEventFilterSet()
        for filter in filters { set.add(filter) }
        for valueLength in [4096, 16384] {
            let event = Array("Event: VarSet\r\nVariable: X\r\nValue: \(String(repeating: "a", count: valueLength))\r\n\r\n".utf8)
            let rounds = 50
            let start = DispatchTime.now().uptimeNanoseconds
            var sent = 0
            event.withUnsafeBufferPointer { text in
                for _ in 0..<rounds where set.shouldSend(text) { sent += 1 }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(
                String(
                    format: "%d filters of %d bytes over a %d-byte value: %.1f µs per event and session (%d of %d sent)",
                    filters.count, pattern.utf8.count, valueLength, seconds / Double(rounds) * 1e6, sent, rounds))
        }
    }
}
