import { NotFoundError, ValidationError } from '../../shared/domain-error.js';

/** The clouds a site can live on. Only AWS can settle workspaces today; the others are future providers. */
export type Cloud = 'aws' | 'alibaba' | 'huawei' | 'tencent' | '21vianet';
/** AWS partitions: the global marketplace (`aws`, us-east-1) and the China one (`aws-cn`, cn-northwest-1). */
export type AwsPartition = 'aws' | 'aws-cn';
export const AWS_PARTITIONS: readonly AwsPartition[] = ['aws', 'aws-cn'];

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly cloud: Cloud;
  /** Set only for AWS sites: the partition whose marketplace can settle this site's workspaces. */
  readonly awsPartition?: AwsPartition;
  /** Currency of the site's price list (ISO 4217), used when rating usage into cost. */
  readonly currency: string;
}

/** The default site list from the product documentation. Configuration can replace it. */
export const DEFAULT_SITES: readonly Site[] = [
  { id: 'cn1', name: 'China 1 (Hangzhou)', cloud: 'alibaba', currency: 'CNY' },
  { id: 'cn2', name: 'China 2 (Ningxia)', cloud: 'aws', awsPartition: 'aws-cn', currency: 'CNY' },
  { id: 'cn4', name: 'China 4 (Guangzhou)', cloud: 'huawei', currency: 'CNY' },
  { id: 'cn5', name: 'China 5 (21Vianet)', cloud: '21vianet', currency: 'CNY' },
  { id: 'cn6', name: 'Hong Kong', cloud: 'alibaba', currency: 'USD' },
  { id: 'us1', name: 'US 1 (Oregon)', cloud: 'aws', awsPartition: 'aws', currency: 'USD' },
  { id: 'eu1', name: 'Europe 1 (Frankfurt)', cloud: 'aws', awsPartition: 'aws', currency: 'USD' },
  { id: 'ap1', name: 'Asia Pacific 1 (Singapore)', cloud: 'aws', awsPartition: 'aws', currency: 'USD' },
  { id: 'za1', name: 'Africa 1 (South Africa)', cloud: 'huawei', currency: 'USD' },
  { id: 'id1', name: 'Indonesia 1 (Jakarta)', cloud: 'tencent', currency: 'USD' },
];

export class SiteCatalog {
  private readonly byId: ReadonlyMap<string, Site>;

  constructor(sites: readonly Site[]) {
    const byId = new Map<string, Site>();
    for (const s of sites) {
      if (!/^[a-z0-9-]{2,16}$/.test(s.id))
        throw new ValidationError('invalid-site-list', `Site id "${s.id}" is invalid.`);
      if (byId.has(s.id)) throw new ValidationError('invalid-site-list', `Site "${s.id}" is listed twice.`);
      if (s.cloud === 'aws' && !s.awsPartition) {
        throw new ValidationError(
          'invalid-site-list',
          `AWS site "${s.id}" must name its partition (aws or aws-cn).`,
        );
      }
      if (s.cloud !== 'aws' && s.awsPartition) {
        throw new ValidationError(
          'invalid-site-list',
          `Site "${s.id}" is not on AWS but names an AWS partition.`,
        );
      }
      byId.set(s.id, s);
    }
    this.byId = byId;
  }

  get(id: string): Site {
    const s = this.byId.get(id);
    if (!s) throw new NotFoundError('site', id);
    return s;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Site[] {
    return [...this.byId.values()];
  }
}
