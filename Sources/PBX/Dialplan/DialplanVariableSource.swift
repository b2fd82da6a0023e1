/// Where dialplan substitution reads values from: the channel engine implements it over a channel.
///
/// `EXTEN`, `CONTEXT` and `PRIORITY` are supplied by `DialplanExecution` itself; everything else
/// (channel variables, `CHANNEL`, `UNIQUEID`, `CALLERID(...)`, ...) comes from here.
public protocol DialplanVariableSource {
    /// A variable's value, or nil if unset. Asterisk compares names case-insensitively and
    /// ignores leading `_`/`__` on stored names (`TRACKID` finds `__TRACKID`).
    func variable(_ name: String) -> String?
    /// A dialplan function (`CALLERID(num)` arrives as `("CALLERID", "num")`), or nil if unknown.
    /// `LEN`, `IF`, `ISNULL` and `EXISTS` are evaluated by the dialplan itself.
    func function(_ name: String, argument: String) -> String?
}

extension DialplanVariableSource {
    public func function(_ name: String, argument: String) -> String? { nil }
}
