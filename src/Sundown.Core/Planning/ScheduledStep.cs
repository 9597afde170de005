using Sundown.Core.Policy;

namespace Sundown.Core.Planning;

/// <summary>
/// A step with the times the executor holds it to, once its tier has really started. All
/// times are offsets from the start of the stop. This is the one deadline model that
/// <see cref="Planner.Build"/>, <see cref="Planner.Schedule"/> and the executor share:
/// </summary>
/// <remarks>
/// <para>
/// A step begins when the one before it ends. If it cannot begin by <see cref="StartBy"/> it is
/// skipped (journaled as skipped) and the next one begins. Once begun it ends when its effect
/// is there (the guest is off, the call has answered), or at <c>begin + Wait</c>, or at
/// <see cref="EndBy"/>, whichever comes first; then it is cut short, whatever it is doing, and
/// the next step begins. Every call it makes into the host, state reads included, is held to
/// the same end. A null <see cref="StartBy"/> or <see cref="EndBy"/> is no limit (no budget).
/// </para>
/// <list type="table">
/// <item><term>agent, acpi</term><description><see cref="Wait"/>: its timeout (shrunk when the
/// budget is short). <see cref="StartBy"/> = <see cref="EndBy"/> = the end of the guest's
/// graceful time: the tier's deadline less <see cref="Estimates.DestroyAllowance"/> and, when the
/// ladder saves, less the tier's save reserve. A step begun late (queued for a shutdowns slot, or
/// after a step that failed at once) still gets its full wait, up to <see cref="EndBy"/>.</description></item>
/// <item><term>save</term><description><see cref="Wait"/>: the estimate, not a limit (a save
/// about to finish is not thrown away at its estimate). <see cref="EndBy"/>: the tier's deadline
/// less the destroy's allowance; <see cref="StartBy"/> = <see cref="EndBy"/> less the estimate, so
/// a save that cannot finish in time is not begun. A save still running at its end is aborted.</description></item>
/// <item><term>resume, wakeup</term><description><see cref="Wait"/>: <see cref="Estimates.CallWait"/>;
/// <see cref="StartBy"/> = <see cref="EndBy"/> = the end of the graceful time they prepare for.</description></item>
/// <item><term>destroy</term><description>Always begun (<see cref="StartBy"/> null), by the plan no
/// later than the tier's deadline less <see cref="Estimates.DestroyAllowance"/> (its planned
/// duration is zero: the allowance is its time). <see cref="EndBy"/>: the tier's deadline plus
/// <see cref="Estimates.DestroyGrace"/>, however early it began (a destroy is the last step: there
/// is nothing to go on to); <see cref="Wait"/>, the allowance plus the grace, limits it only
/// without a budget. A destroy not answered by its end ends the guest failed.</description></item>
/// </list>
/// </remarks>
/// <param name="Wait">How long the step lasts at most once begun (for save: the estimate, not a limit; for destroy: only without a budget).</param>
/// <param name="StartBy">If the step cannot begin by then, it is skipped (null: it always begins when reached).</param>
/// <param name="EndBy">When the step is cut short and the next begins, whatever it is doing (null: only its wait limits it).</param>
public sealed record ScheduledStep(StepKind Kind, TimeSpan Wait, TimeSpan? StartBy, TimeSpan? EndBy);
