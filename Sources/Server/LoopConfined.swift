import NIOCore

extension EventLoop {
    /// Schedules `body` with a loop-confined object: both stay on this event loop, so neither has
    /// to be Sendable. `object` is held weakly; nothing runs once it is gone.
    @discardableResult
    func scheduleConfined<T: AnyObject>(in delay: TimeAmount, _ object: T, _ body: @escaping (T) -> Void) -> Scheduled<Void> {
        let bound = NIOLoopBound((WeakBox(object), body), eventLoop: self)
        return scheduleTask(in: delay) {
            let (box, body) = bound.value
            if let object = box.value { body(object) }
        }
    }

    /// Runs `body` on this loop with a loop-confined object, from any thread.
    func executeConfined<T: AnyObject>(_ object: T, _ body: @escaping (T) -> Void) {
        if inEventLoop {
            body(object)
            return
        }
        let bound = NIOLoopBound((object, body), eventLoop: self)
        execute {
            let (object, body) = bound.value
            body(object)
        }
    }
}

final class WeakBox<T: AnyObject> {
    weak var value: T?
    init(_ value: T) { self.value = value }
}
