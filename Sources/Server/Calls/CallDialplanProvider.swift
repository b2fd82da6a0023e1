import Foundation

/// One dialplan application to run, with its data already expanded, and where it sits.
struct DialplanInstruction {
    var application: String
    var data: String
    var context: String
    var exten: String
    var priority: Int
}

/// The dialplan as the engine uses it: each tenant's generated contexts, interpreted step by step.
/// `Goto`/`GotoIf` are resolved inside; everything else comes back as a step to run.
protocol CallDialplanProvider: AnyObject {
    /// The next application at `cursor` in the tenant's dialplan (advancing the cursor past it),
    /// or nil when the dialplan ends for this channel.
    func next(tenant: UUID, cursor: inout DialplanCursor, variables: [String: String]) -> DialplanInstruction?
    /// Whether `exten` exists in `context` of the tenant (Originate checks it; Local needs it).
    func extensionExists(tenant: UUID, context: String, exten: String) -> Bool
}
