/// The engine's variables plus what the interpreter knows: `EXTEN`, `CONTEXT`, `PRIORITY`, globals.
struct ExecutionVariables: DialplanVariableSource {
    let base: any DialplanVariableSource
    let location: DialplanLocation
    let globals: [String: String]

    func variable(_ name: String) -> String? {
        switch name {
        case "EXTEN": return location.exten
        case "CONTEXT": return location.context
        case "PRIORITY": return String(location.priority)
        default:
            if let value = base.variable(name) { return value }
            return globals.first { $0.key.uppercased() == name.uppercased() }?.value
        }
    }

    func function(_ name: String, argument: String) -> String? {
        base.function(name, argument: argument)
    }
}
