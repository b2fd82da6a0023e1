/// A point in the dialplan: what a channel's Context, Exten and Priority fields show.
public struct DialplanLocation: Sendable, Hashable, CustomStringConvertible {
    public var context: String
    /// The dialled extension (the channel's `${EXTEN}`), not the pattern that matched it.
    public var exten: String
    public var priority: Int

    public init(context: String, exten: String, priority: Int) {
        self.context = context
        self.exten = exten
        self.priority = priority
    }

    public var description: String { "\(context),\(exten),\(priority)" }
}
