import PBX
import SIPServer

/// Where the call engine's events go (channels, bridges, dials, devices), each with its tenant. The
/// AMI layer's event bus implements it; the engine does not know about AMI sessions. Called on the
/// engine's event loop; implementations must not block.
package protocol CallEventSink: Sendable {
    func publish(_ event: PBXEvent)
}
