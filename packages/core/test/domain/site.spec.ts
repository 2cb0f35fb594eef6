import { describe, expect, it } from 'vitest';
import { AWS_PARTITIONS, DEFAULT_SITES, type Site, SiteCatalog } from '../../src/domain/site/site.js';
import { expectDomainError } from './helpers.js';

const site = (o: Partial<Site> & { id: string }): Site => ({
  name: o.id,
  cloud: 'alibaba',
  currency: 'USD',
  ...o,
});

describe('DEFAULT_SITES', () => {
  const catalog = new SiteCatalog(DEFAULT_SITES);

  it('lists the documented sites in order', () => {
    expect(catalog.all().map((s) => s.id)).toEqual([
      'cn1',
      'cn2',
      'cn4',
      'cn5',
      'cn6',
      'us1',
      'eu1',
      'ap1',
      'za1',
      'id1',
    ]);
  });

  it('puts each site on its cloud; only AWS sites name a partition', () => {
    expect(Object.fromEntries(catalog.all().map((s) => [s.id, [s.cloud, s.awsPartition ?? null]]))).toEqual({
      cn1: ['alibaba', null],
      cn2: ['aws', 'aws-cn'],
      cn4: ['huawei', null],
      cn5: ['21vianet', null],
      cn6: ['alibaba', null],
      us1: ['aws', 'aws'],
      eu1: ['aws', 'aws'],
      ap1: ['aws', 'aws'],
      za1: ['huawei', null],
      id1: ['tencent', null],
    });
    expect(AWS_PARTITIONS).toEqual(['aws', 'aws-cn']);
  });

  it('looks sites up by id', () => {
    expect(catalog.get('cn2').name).toBe('China 2 (Ningxia)');
    expect(catalog.has('us1')).toBe(true);
    expect(catalog.has('us2')).toBe(false);
  });

  it('an unknown site is site-not-found', () => {
    const e = expectDomainError(() => catalog.get('mars1'), 'site-not-found', 'not-found');
    expect(e.details).toEqual({ id: 'mars1' });
  });
});

describe('SiteCatalog validation (invalid-site-list)', () => {
  it('accepts ids of 2 to 16 lowercase letters, digits and "-"', () => {
    const c = new SiteCatalog([
      site({ id: 'ab' }),
      site({ id: 'a'.repeat(16) }),
      site({ id: 'eu-central-2' }),
    ]);
    expect(c.all()).toHaveLength(3);
  });

  it('refuses an invalid site id', () => {
    for (const id of ['a', 'a'.repeat(17), 'US1', 'us_1', 'us 1', '']) {
      const e = expectDomainError(() => new SiteCatalog([site({ id })]), 'invalid-site-list', 'validation');
      expect(e.message).toContain(`"${id}" is invalid`);
    }
  });

  it('refuses a site listed twice', () => {
    const e = expectDomainError(
      () => new SiteCatalog([site({ id: 'us1' }), site({ id: 'us1' })]),
      'invalid-site-list',
    );
    expect(e.message).toContain('listed twice');
  });

  it('refuses an AWS site without a partition', () => {
    const e = expectDomainError(
      () => new SiteCatalog([site({ id: 'us9', cloud: 'aws' })]),
      'invalid-site-list',
    );
    expect(e.message).toContain('must name its partition');
  });

  it('refuses a non-AWS site that names an AWS partition', () => {
    const e = expectDomainError(
      () => new SiteCatalog([site({ id: 'cn1', cloud: 'alibaba', awsPartition: 'aws-cn' })]),
      'invalid-site-list',
    );
    expect(e.message).toContain('not on AWS');
  });

  it('an empty list is valid and knows no site', () => {
    const c = new SiteCatalog([]);
    expect(c.all()).toEqual([]);
    expectDomainError(() => c.get('us1'), 'site-not-found');
  });
});
