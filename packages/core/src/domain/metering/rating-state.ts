/**
 * What rating remembers per (cloud account, workspace, billing item): the fraction not yet billed (exact
 * numerator over `denominator`) and, for `max` items, the day's running maximum.
 */
export class RatingState {
  id!: string;
  cloudAccountId!: string;
  workspaceId!: string;
  itemCode!: string;
  /** bigint as a decimal string: exact across databases */
  carry!: string;
  denominator!: string;
  peakDay!: string | null;
  peak!: number;
  version!: number;

  constructor(props: RatingState) {
    Object.assign(this, props);
  }

  static key(cloudAccountId: string, workspaceId: string, itemCode: string): string {
    return `${cloudAccountId}|${workspaceId}|${itemCode}`;
  }

  static initial(cloudAccountId: string, workspaceId: string, itemCode: string): RatingState {
    return new RatingState({
      id: RatingState.key(cloudAccountId, workspaceId, itemCode),
      cloudAccountId,
      workspaceId,
      itemCode,
      carry: '0',
      denominator: '1',
      peakDay: null,
      peak: 0,
      version: 0,
    });
  }
}
