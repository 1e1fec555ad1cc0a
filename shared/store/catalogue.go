package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

var _ concerns.CatalogueStore = (*Store)(nil)

// catalogueKey holds a school's own catalogue once a DSL has changed it (rule C2); until
// then the school records against the policy's table.
func catalogueKey(s safeguarding.SchoolID) key {
	return key{PK: "SCHOOL#" + string(s), SK: "CATALOGUE"}
}

type subcategoryAttrs struct {
	ID      string `dynamodbav:"id"`
	Title   string `dynamodbav:"title"`
	Retired bool   `dynamodbav:"retired"`
}

type categoryAttrs struct {
	ID            string             `dynamodbav:"id"`
	Title         string             `dynamodbav:"title"`
	Subcategories []subcategoryAttrs `dynamodbav:"subcategories"`
}

type catalogueItem struct {
	key
	Type       string          `dynamodbav:"type"`
	Version    int             `dynamodbav:"version"`
	Categories []categoryAttrs `dynamodbav:"categories"`
}

func catalogueToItem(c concerns.SchoolCatalogue) catalogueItem {
	it := catalogueItem{key: catalogueKey(c.School), Type: typeCatalogue, Version: c.Version}
	for _, d := range c.Catalogue {
		ca := categoryAttrs{ID: string(d.ID), Title: d.Title}
		for _, s := range d.Subcategories {
			ca.Subcategories = append(ca.Subcategories, subcategoryAttrs{ID: s.ID, Title: s.Title, Retired: s.Retired})
		}
		it.Categories = append(it.Categories, ca)
	}
	return it
}

// catalogueFromFound reads a school's catalogue out of a batch, or the policy's table.
func catalogueFromFound(found map[string]map[string]types.AttributeValue, school safeguarding.SchoolID) (concerns.SchoolCatalogue, error) {
	var it catalogueItem
	err := unmarshalFound(found, catalogueKey(school), &it)
	return catalogueFromItem(it, school), err
}

// catalogueFromItem is a school's catalogue, or the policy's table when it has none (it.Type "").
func catalogueFromItem(it catalogueItem, school safeguarding.SchoolID) concerns.SchoolCatalogue {
	out := concerns.SchoolCatalogue{School: school, Catalogue: concerns.PolicyCatalogue()}
	if it.Type == "" {
		return out
	}
	out.Version, out.Catalogue = it.Version, nil
	for _, ca := range it.Categories {
		d := concerns.CategoryDef{ID: safeguarding.Category(ca.ID), Title: ca.Title}
		for _, s := range ca.Subcategories {
			d.Subcategories = append(d.Subcategories, concerns.Subcategory{ID: s.ID, Title: s.Title, Retired: s.Retired})
		}
		out.Catalogue = append(out.Catalogue, d)
	}
	return out
}

// Catalogue reads the viewer and the school's catalogue in one BatchGetItem.
func (s *Store) Catalogue(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, concerns.SchoolCatalogue, error) {
	found, err := s.batchGet(ctx, []key{userKey(viewer), catalogueKey(school)})
	if err != nil {
		return safeguarding.Principal{}, concerns.SchoolCatalogue{}, err
	}
	var u userItem
	if err := unmarshalFound(found, userKey(viewer), &u); err != nil {
		return safeguarding.Principal{}, concerns.SchoolCatalogue{}, err
	}
	p := userFromItem(u)
	p.Email = viewer
	c, err := catalogueFromFound(found, school)
	return p, c, err
}

// SaveCatalogue saves a school's catalogue with its audit entry, on the condition that the
// stored version is prev (0: none stored yet).
func (s *Store) SaveCatalogue(ctx context.Context, c concerns.SchoolCatalogue, prev int, audit safeguarding.AuditEntry) error {
	// A TransactionConflict is tried again (transact); only the version's condition failing
	// means someone else changed the catalogue.
	err := s.transact(ctx, append([]types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(catalogueToItem(c)),
			ConditionExpression:       aws.String("version = :prev OR (attribute_not_exists(PK) AND :prev = :zero)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(prev), ":zero": num(0)}}},
	}, s.auditPuts(audit)...), -1)
	if cf := (*conditionFailed)(nil); errors.As(err, &cf) {
		return fmt.Errorf("store: the catalogue was changed by someone else: %w", safeguarding.ErrConflict)
	}
	return wrap("save catalogue", err)
}
