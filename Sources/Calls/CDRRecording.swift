import Foundation
import PBX

/// The engine's call detail records: every event the engine raises also feeds its `CDRRecorder`
/// (on the loop); the records a hangup finishes go out as AMI `Event: Cdr` (class `cdr`, to the
/// record's tenant) and to the node's store writer, which queues them off the loop.
extension CallEngine {
    func recordCDRs(_ event: PBXEvent) {
        guard let sink = cdrSink else { return }
        let records = cdrRecorder.observe(event, now: Date().timeIntervalSince1970)
        guard !records.isEmpty else { return }
        for record in records {
            events.publish(PBXEvent("Cdr", classes: ["cdr"], fields: record.managerFields(), tenant: record.tenant))
        }
        sink.record(records)
    }
}
