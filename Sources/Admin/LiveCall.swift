import Foundation

/// One call in progress in a tenant, as the dashboard and `GET /api/v1/calls` show it.
public struct LiveCall: Sendable, Hashable, Codable {
    /// One live channel of the call.
    public struct Channel: Sendable, Hashable, Codable {
        public var name: String
        /// Asterisk's `ChannelStateDesc` (`Ring`, `Ringing`, `Up`…).
        public var state: String

        public init(name: String, state: String) {
            self.name = name
            self.state = state
        }
    }

    /// The call's linkedid: the uniqueid of its first channel (for a click-to-call, the Local `;1`,
    /// the `Uniqueid` of its `OriginateResponse` and the `Linkedid` of every event of the call).
    public var id: String
    /// Who calls (`C2C_SRC` of a click-to-call, else the first channel's caller ID number).
    public var from: String
    /// Whom (`C2C_DST` of a click-to-call, else the extension the first channel dialled).
    public var to: String
    /// `dialing`, `ringing` (a channel rings) or `up` (every channel answered).
    public var state: String
    public var started: Date
    /// Seconds since `started`.
    public var duration: Int
    public var channels: [Channel]

    public init(id: String, from: String, to: String, state: String, started: Date, duration: Int, channels: [Channel]) {
        self.id = id
        self.from = from
        self.to = to
        self.state = state
        self.started = started
        self.duration = duration
        self.channels = channels
    }
}
