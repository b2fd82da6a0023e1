/// What a click-to-call request (`POST /api/v1/calls`) came to before anything rang.
public enum ClickToCallResult: Sendable, Hashable {
    /// The Originate started: the call's id (its linkedid, as `LiveCall.id`).
    case started(id: String)
    /// `from` is no extension of the tenant.
    case unknownExtension
    /// The extension has no registered phone.
    case unavailable
    /// The extension's phone is in use or ringing (its device state).
    case busy(deviceState: String)
    /// The tenant's dialplan has no place for `to` in `from_c2c` (no extension, no outbound route).
    case noRoute
    /// A capacity limit of the tenant refused it (channels, RTP port pairs, originates per second).
    case tenantLimit(String)
    /// The node could not start it (no call engine, the node's channel cap).
    case failed(String)
}
