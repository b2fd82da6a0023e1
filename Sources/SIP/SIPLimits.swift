/// Bounds on what a peer can make the SIP parser hold, each with where the number comes from.
public enum SIPLimits {
    /// Largest message accepted, head and body: the largest IP datagram (RFC 791 Total Length is
    /// 16 bits). Applied to TCP messages too, so one peer cannot make us buffer more.
    public static let maximumMessageSize = 65_535
    /// Header fields per message. Centralino's choice: RFC 4475 `longreq` (the longest torture
    /// message) has 47, real phones send about 15.
    public static let maximumHeaderCount = 256
    /// Bytes of one header field after unfolding. Centralino's choice: 8 KiB, far above the
    /// longest field of RFC 4475 `longreq` and of Identity/Authorization headers seen in practice.
    public static let maximumLineLength = 8_192
    /// CSeq numbers must be less than 2**31 (RFC 3261 §8.1.1.5).
    public static let maximumCSeq: UInt32 = 2_147_483_647
    /// Max-Forwards is 0–255; larger values are invalid (RFC 4475 §3.1.2.4, `scalar02`).
    public static let maximumMaxForwards = 255
    /// Expires and other delta-seconds values top out at 2**32 − 1 (RFC 3261 §20.19).
    public static let maximumDeltaSeconds: UInt64 = 4_294_967_295
    /// Status codes are three digits, 100–699 (RFC 3261 §7.2).
    public static let statusCodeRange = 100...699
}
