/// A weak reference to a loop-confined object, for tasks handed to its loop (in a `NIOLoopBound`) that
/// must not keep it alive. Timers of such objects: `LoopTimerQueue.schedule(in:_:_:)`.
package final class WeakBox<T: AnyObject> {
    package weak var value: T?
    package init(_ value: T) { self.value = value }
}
