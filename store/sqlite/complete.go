package sqlite

import (
	"context"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// completionChunk bounds the River jobs one transaction marks completed (or
// failed, or snoozed). River's completer gathers what its workers finished
// into batches of up to thousands, and its SQLite driver updates them one
// statement each inside one transaction: 7–12 ms of holding the writer on a
// busy node, which a create waiting at the gate paid in full. In chunks, the
// gate can let foreground work in between.
const completionChunk = 16

// JobSetStateIfRunningMany implements riverdriver.Executor: River's batch
// is written a chunk per transaction. Each job's new state stands on its
// own, so a batch cut short by an error leaves the earlier chunks done; River
// tries the batch again, and a job no longer running is then only read back.
func (e *hubExecutor) JobSetStateIfRunningMany(ctx context.Context, p *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, error) {
	if len(p.ID) <= completionChunk {
		return e.Executor.JobSetStateIfRunningMany(ctx, p)
	}
	out := make([]*rivertype.JobRow, 0, len(p.ID))
	for i := 0; i < len(p.ID); i += completionChunk {
		j := min(i+completionChunk, len(p.ID))
		chunk := *p
		chunk.ID, chunk.Attempt, chunk.ErrData = p.ID[i:j], p.Attempt[i:j], p.ErrData[i:j]
		chunk.FinalizedAt, chunk.MetadataDoMerge, chunk.MetadataUpdates = p.FinalizedAt[i:j], p.MetadataDoMerge[i:j], p.MetadataUpdates[i:j]
		chunk.ScheduledAt, chunk.State = p.ScheduledAt[i:j], p.State[i:j]
		rows, err := e.Executor.JobSetStateIfRunningMany(ctx, &chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}
