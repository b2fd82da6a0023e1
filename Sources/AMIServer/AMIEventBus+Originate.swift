import AMI
import Calls
import Foundation

extension AMIEventBus {
    /// Publishes the `OriginateResponse` an async Originate ends with, built as an AMI session builds
    /// it: for an Originate started elsewhere than an AMI session (the REST click-to-call).
    package func publishOriginateResponse(_ request: OriginateRequest, outcome: OriginateOutcome, tenant: UUID) {
        publish(AMISessionHandler.originateResponse(request, outcome: outcome), tenant: tenant)
    }
}
