/// One step of an extension: `exten => 100,2(dial),Dial(PJSIP/100,30)` is priority 2, label `dial`,
/// application `Dial`, data `PJSIP/100,30` (unexpanded: `${...}` is substituted when it runs).
public struct DialplanPriority: Sendable, Hashable {
    public var number: Int
    public var label: String?
    public var application: String
    public var data: String
    /// Line of the source text it came from, when it was parsed.
    public var line: Int?

    public init(number: Int, label: String? = nil, application: String, data: String = "", line: Int? = nil) {
        self.number = number
        self.label = label
        self.application = application
        self.data = data
        self.line = line
    }
}
